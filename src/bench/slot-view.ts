import type { ErrorRecord } from '../domain/errors.js';
import type { HubState } from '../domain/hub-state.js';
import type { AttemptResult, Phase } from '../domain/outcomes.js';

/** What the status API and dashboard show for one slot. */
export interface SlotView {
  jig: string;
  slot: number;
  /** A hub sits in the slot (as the jig reports it). */
  present: boolean;
  phase: Phase;
  /** 0..1 within the transfer; 1 when done. */
  progress: number;
  deviceId: string | null;
  /** The hub's Device Model, once identified. */
  model: string | null;
  /** The version the hub runs: as identified, then as read back after a re-flash. */
  firmwareVersion: string | null;
  /** The version this session flashes, once decided; null when the hub is not flashed. */
  targetVersion: string | null;
  /** Result of the last session in this slot, until the hub is taken out. */
  result: AttemptResult | null;
  /** Why the last session refused or failed; a refused hub shows the binding reason (e.g. HUB_NOT_RECEIVED). */
  error: ErrorRecord | null;
  /** Work order the hub in the slot was bound to, once identified and accepted. */
  workOrderId: string | null;
  /** The hub's state on its work order after the last attempt (e.g. SCRAP_PROPOSED). */
  hubState: HubState | null;
  /**
   * The last session in this slot found its line so noisy that it had to cut the block size (or
   * ended LINE_SUSPECT): a worn contact is likely; the technician should stop using the slot.
   */
  lineSuspect: boolean;
  updatedAt: string;
}

export function emptySlot(jig: string, slot: number): SlotView {
  return { jig, slot, present: false, phase: 'EMPTY', progress: 0, deviceId: null, model: null, firmwareVersion: null, targetVersion: null, result: null, error: null, workOrderId: null, hubState: null, lineSuspect: false, updatedAt: new Date().toISOString() };
}
