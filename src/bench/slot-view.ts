import type { SlotView } from '../records/slot.js';

/** The slot record lives in records/slot.ts; the bench starts every slot from this. */
export type { SlotView };

export function emptySlot(jig: string, slot: number): SlotView {
  return {
    jig,
    slot,
    present: false,
    phase: 'EMPTY',
    progress: 0,
    deviceId: null,
    model: null,
    firmwareVersion: null,
    targetVersion: null,
    result: null,
    error: null,
    workOrderId: null,
    hubState: null,
    lineSuspect: false,
    updatedAt: new Date().toISOString(),
  };
}
