import type { SlotView } from '../records/slot.js';

/** The slot record lives in records/slot.ts; the bench starts every slot from this. */
export type { SlotView };

/** What a slot knows of the hub in it and its last session: cleared when a new session starts. */
export const NO_HUB_FACTS = Object.freeze({
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
} satisfies Partial<SlotView>);

export function emptySlot(jig: string, slot: number): SlotView {
  return { jig, slot, present: false, phase: 'EMPTY', ...NO_HUB_FACTS, updatedAt: new Date().toISOString() };
}
