import type { ErrorRecord } from '../domain/errors.js';
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
  /** Result of the last session in this slot, until the hub is taken out. */
  result: AttemptResult | null;
  error: ErrorRecord | null;
  updatedAt: string;
}

export function emptySlot(jig: string, slot: number): SlotView {
  return { jig, slot, present: false, phase: 'EMPTY', progress: 0, deviceId: null, result: null, error: null, updatedAt: new Date().toISOString() };
}
