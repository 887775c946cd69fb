import type { LedColour } from '../src/jig/control-protocol.js';
import type { Simulator } from './simulator.js';
import { hubTruth, type HubTruth } from './truth.js';
import type { SimSlot, VirtualJig } from './virtual-jig.js';

export interface TechnicianOptions {
  /** How long a finished hub stays in its slot before it is taken out, in ms. Default 3000. */
  dwellMs?: number;
  /** How long putting the next hub in takes, in ms. Default 1500. */
  swapMs?: number;
  /** Finished hubs kept in the out-tray for inspection (oldest dropped first). Default 1000. */
  trayLimit?: number;
}

/** A hub the technician took out, with the LED it showed and what it really held then. */
export interface TrayEntry {
  at: string;
  led: LedColour;
  truth: HubTruth;
}

/** LEDs the daemon sets when a hub is finished: good, failed, rejected. */
const FINISHED: readonly LedColour[] = ['GREEN', 'RED', 'AMBER'];

/**
 * A virtual bench technician for demos and training. Watches the slot LEDs as a person does: a
 * steady GREEN, RED or AMBER means "done", so after `dwellMs` the hub goes to the out-tray (and
 * leaves the simulator); after `swapMs` the next hub from stock goes into the empty slot. Empty
 * slots at start are filled the same way. It never looks at the daemon, only at the LEDs.
 */
export class Technician {
  readonly tray: TrayEntry[] = [];
  readonly #sim: Simulator;
  readonly #dwellMs: number;
  readonly #swapMs: number;
  readonly #trayLimit: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #running = false;

  constructor(sim: Simulator, options: TechnicianOptions = {}) {
    this.#sim = sim;
    this.#dwellMs = options.dwellMs ?? 3000;
    this.#swapMs = options.swapMs ?? 1500;
    this.#trayLimit = options.trayLimit ?? 1000;
    for (const [name, value] of [
      ['dwellMs', this.#dwellMs],
      ['swapMs', this.#swapMs],
      ['trayLimit', this.#trayLimit],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number ≥ 0, got ${value}`);
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#sim.on('led', this.#onLed);
    for (const { jig, slot } of this.#sim.slots()) {
      if (!slot.hub) this.#refill(jig, slot);
      else this.#onLed(jig, slot);
    }
  }

  stop(): void {
    this.#running = false;
    this.#sim.off('led', this.#onLed);
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  readonly #onLed = (jig: VirtualJig, slot: SimSlot): void => {
    if (!slot.hub || slot.blink || !FINISHED.includes(slot.led)) return;
    const deviceId = slot.hub.deviceId;
    const led = slot.led;
    this.#after(jig, slot, this.#dwellMs, () => {
      // Still the same hub showing the same "done" light? Then take it out.
      if (slot.hub?.deviceId !== deviceId || slot.led !== led || slot.blink) return;
      const truth = hubTruth(slot.hub, null, undefined);
      jig.remove(slot.number);
      this.#sim.takeOffShelf(deviceId);
      this.tray.push({ at: new Date().toISOString(), led, truth });
      if (this.tray.length > this.#trayLimit) this.tray.shift();
      this.#refill(jig, slot);
    });
  };

  #refill(jig: VirtualJig, slot: SimSlot): void {
    this.#after(jig, slot, this.#swapMs, () => {
      if (slot.hub) return;
      const next = this.#sim.takeFromStock();
      if (next) jig.insert(slot.number, next);
    });
  }

  /** One pending job per slot: a newer one replaces it. */
  #after(jig: VirtualJig, slot: SimSlot, ms: number, fn: () => void): void {
    const key = `${jig.id}/${slot.number}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        if (this.#running) fn();
      }, ms),
    );
  }
}
