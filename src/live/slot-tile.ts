import type { SlotView } from '../bench/slot-view.js';

/** The slot LED as the jig shows it (docs/protocol.md, LED): colour and whether it blinks. */
export interface SlotLed {
  colour: 'OFF' | 'BLUE' | 'GREEN' | 'AMBER' | 'RED';
  blink: boolean;
}

/** A slot as the dashboard draws it: the slot view, the LED it has set, and time left. */
export interface SlotTile extends SlotView {
  led: SlotLed;
  /** Seconds left in the transfer at its current rate; null outside TRANSFERRING or before a rate is known. */
  etaSeconds: number | null;
}

/**
 * The LED the bench sets for this view: blinking blue while a session runs; after it, steady green
 * (re-flashed, already current), amber (rejected) or red (failed), blinking red when scrap waits
 * for a technician's confirmation or the result could not be stored (the rules of slot-session.ts).
 */
export function slotLed(view: SlotView): SlotLed {
  // Quality guards (docs/quality-guards.md): a suspect slot blinks amber, hub or not; a held hub waits in steady blue.
  if (view.error?.code === 'SLOT_SUSPECT' && (view.phase === 'DONE' || view.phase === 'EMPTY')) return { colour: 'AMBER', blink: true };
  if (!view.present) return { colour: 'OFF', blink: false };
  if (view.phase === 'DONE' && view.result === 'REJECTED' && (view.error?.code === 'WAITING_CANARY' || view.error?.code === 'MODEL_HALTED')) return { colour: 'BLUE', blink: false };
  if (view.phase !== 'DONE' && view.phase !== 'EMPTY') return { colour: 'BLUE', blink: true };
  switch (view.result) {
    case null:
      // No session could start: the store is full and the hub waits (Bench, STORE_FULL).
      return view.error?.code === 'STORE_FULL' ? { colour: 'RED', blink: true } : { colour: 'OFF', blink: false };
    case 'REFLASHED':
    case 'ALREADY_CURRENT':
      return { colour: 'GREEN', blink: false };
    case 'REJECTED':
      return { colour: 'AMBER', blink: false };
    default:
      return { colour: 'RED', blink: view.hubState === 'SCRAP_PROPOSED' || view.error?.code === 'STORE_WRITE_FAILED' };
  }
}
