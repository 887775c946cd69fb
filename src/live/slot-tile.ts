import type { SlotLed } from '../domain/led-policy.js';
import type { SlotView } from '../bench/slot-view.js';

export { slotLed, type SlotLed } from '../domain/led-policy.js';

/** A slot as the dashboard draws it: the slot view, the LED it has set (domain/led-policy.ts), and time left. */
export interface SlotTile extends SlotView {
  led: SlotLed;
  /** Seconds left in the transfer at its current rate; null outside TRANSFERRING or before a rate is known. */
  etaSeconds: number | null;
}
