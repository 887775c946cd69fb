import type { HubState } from './hub-state.js';
import type { AttemptResult, Phase } from './outcomes.js';

/** Colours a slot LED can show (the jig's LED command, docs/protocol.md §1). */
export type LedColourName = 'OFF' | 'BLUE' | 'GREEN' | 'AMBER' | 'RED';

/** The slot LED: colour and whether it blinks. */
export interface SlotLed {
  colour: LedColourName;
  blink: boolean;
}

/** What the LED follows: a slot view's fields (records/slot.ts). */
export interface LedFacts {
  present: boolean;
  phase: Phase;
  result: AttemptResult | null;
  hubState: HubState | null;
  error: { code: string } | null;
}

/**
 * The LED a technician reads at the bench, the same on the jig and on the dashboard tile: off for
 * an empty slot; blinking blue while a session runs; after it steady green (re-flashed, already
 * current), amber (rejected, hand it back unflashed) or red (failed, interrupted, scrap). Red
 * blinks when scrap waits for a named technician's confirmation or when the result could
 * not be stored (STORE_WRITE_FAILED): the hub must not leave as if it had a result. The guards add
 * a blinking amber suspect slot and a steady blue held hub; a full store a blinking red waiting hub.
 */
export function slotLed(facts: LedFacts): SlotLed {
  const code = facts.error?.code;
  const idle = facts.phase === 'DONE' || facts.phase === 'EMPTY';
  // Quality guards (docs/quality-guards.md): a suspect slot blinks amber, hub or not.
  if (code === 'SLOT_SUSPECT' && idle) return { colour: 'AMBER', blink: true };
  if (!facts.present) return { colour: 'OFF', blink: false };
  // A hub the guards hold back waits in steady blue (a running session blinks).
  if (facts.phase === 'DONE' && facts.result === 'REJECTED' && (code === 'WAITING_CANARY' || code === 'MODEL_HALTED')) return { colour: 'BLUE', blink: false };
  if (!idle) return { colour: 'BLUE', blink: true };
  switch (facts.result) {
    case null:
      // No session could start: the store is full and the hub waits (STORE_FULL).
      return code === 'STORE_FULL' ? { colour: 'RED', blink: true } : { colour: 'OFF', blink: false };
    case 'REFLASHED':
    case 'ALREADY_CURRENT':
      return { colour: 'GREEN', blink: false };
    case 'REJECTED':
      return { colour: 'AMBER', blink: false };
    case 'FAILED':
    case 'SCRAP':
    case 'INTERRUPTED':
      return { colour: 'RED', blink: facts.hubState === 'SCRAP_PROPOSED' || facts.error?.code === 'STORE_WRITE_FAILED' };
  }
}
