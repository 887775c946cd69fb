import type { ErrorCode } from './errors.js';
import type { HubIdentity } from './hub-identity.js';
import { FLASHABLE_STATES, RETURNABLE_STATES, type HubState } from './hub-state.js';

/** The hub's live line on a work order, as far as the slot needs it. */
export interface BindingCandidate {
  workOrderId: string;
  state: HubState;
  declaredModel: string | null;
  /** FAILED attempts so far on this work order. */
  failedAttempts: number;
}

export type SlotBinding =
  | { bound: true; workOrderId: string; declaredModel: string | null }
  | {
      bound: false;
      code: Extract<ErrorCode, 'HUB_NOT_ON_WORK_ORDER' | 'HUB_NOT_RECEIVED' | 'HUB_ALREADY_DONE' | 'HUB_NOT_FLASHABLE' | 'ATTEMPTS_EXHAUSTED'>;
      message: string;
      workOrderId: string | null;
    };

/**
 * May this slot work on the hub it just identified? Only a hub accepted at intake on an open work
 * order (or failed there and retried) is flashed: the Device ID read from the hub is the key, not
 * whatever label is on the box. Anything else is refused with the reason the slot shows.
 */
export function bindHub(identity: Pick<HubIdentity, 'deviceId'>, live: BindingCandidate | undefined, maxAttempts: number): SlotBinding {
  const id = identity.deviceId;
  if (!live) return refuse('HUB_NOT_ON_WORK_ORDER', `${id} is not on any open work order: take it out and quarantine it`, null);
  const wo = live.workOrderId;
  if (live.state === 'EXPECTED')
    return refuse('HUB_NOT_RECEIVED', `${id} is on work order ${wo} but was not scanned at intake: scan it, then press the slot button`, wo);
  if (RETURNABLE_STATES.includes(live.state) && live.state !== 'REJECTED') {
    return refuse('HUB_ALREADY_DONE', `${id} is already ${live.state} on work order ${wo}: put it with the returns`, wo);
  }
  if (!FLASHABLE_STATES.includes(live.state)) return refuse('HUB_NOT_FLASHABLE', `${id} is ${live.state} on work order ${wo} and is not flashed`, wo);
  if (live.failedAttempts >= maxAttempts)
    return refuse('ATTEMPTS_EXHAUSTED', `${id} failed ${live.failedAttempts} attempts (limit ${maxAttempts}); confirm scrap`, wo);
  return { bound: true, workOrderId: wo, declaredModel: live.declaredModel };
}

function refuse(code: Extract<SlotBinding, { bound: false }>['code'], message: string, workOrderId: string | null): SlotBinding {
  return { bound: false, code, message, workOrderId };
}
