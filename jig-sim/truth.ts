import type { VirtualHub } from './virtual-hub.js';
import type { SimSlot } from './virtual-jig.js';

/** What a hub really runs and holds, for tests (and people) to compare with what flashd claims. */
export interface HubTruth {
  /** Where the hub is; both null for a hub on the shelf (removed). */
  jigId: string | null;
  slot: number | null;
  deviceId: string;
  model: string;
  /** The firmware the hub runs now. */
  firmwareVersion: string;
  /** The download area: a partial image (committed < size), or a complete one (verified or not). */
  heldImage: { sizeBytes: number; committedBytes: number; verified: boolean } | null;
  /** An activation is marked in flash; the next boot makes the held image the running firmware. */
  pendingActivation: boolean;
  powered: boolean;
  unlocked: boolean;
  lockedOut: boolean;
  failedUnlocks: number;
  /** Completed activations (re-flashes) over the hub's life in the simulator. */
  flashCount: number;
  /** Answers nothing: dead (bricked) or hung until power-cycled. */
  bricked: boolean;
  hung: boolean;
}

export function hubTruth(hub: VirtualHub, jigId: string | null, slot: SimSlot | undefined): HubTruth {
  const responder = slot?.responder;
  return {
    jigId,
    slot: slot?.number ?? null,
    deviceId: hub.deviceId,
    model: hub.spec.model,
    firmwareVersion: hub.runningVersion,
    heldImage: hub.held ? { sizeBytes: hub.held.sizeBytes, committedBytes: hub.held.committedBytes, verified: hub.held.verified } : null,
    pendingActivation: hub.pendingActivation,
    powered: responder?.powered ?? false,
    unlocked: responder?.unlocked ?? false,
    lockedOut: hub.lockedOut,
    failedUnlocks: hub.failedUnlocks,
    flashCount: hub.flashCount,
    bricked: hub.defects.bricked,
    hung: responder?.hung ?? false,
  };
}
