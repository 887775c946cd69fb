import { EventEmitter } from 'node:events';
import { ReadlineParser } from '@serialport/parser-readline';
import {
  JIG_ERRORS,
  LED_COLOURS,
  formatError,
  formatEvent,
  formatOk,
  parseCommandLine,
  type JigCommand,
  type JigEventName,
  type LedColour,
} from '../src/jig/control-protocol.js';
import type { HubTimingProfile } from './hub-profile.js';
import { HubResponder, type HubPhaseEvent } from './hub-responder.js';
import { INSTANT_LINK, type LinkTiming } from './paced-pipe.js';
import { SimLine } from './sim-line.js';
import { VirtualHub, type HubSpec } from './virtual-hub.js';

export const SLOTS_PER_JIG = 8;

export interface SimSlot {
  readonly number: number;
  readonly line: SimLine;
  hub: VirtualHub | undefined;
  responder: HubResponder | undefined;
  powered: boolean;
  led: LedColour;
  blink: boolean;
  /** Hubs seated in this slot since the jig started, modulo 16 (STATUS `ins`, PRESENT `ins`). */
  insertions: number;
}

export interface VirtualJigEvents {
  command: [command: JigCommand];
  /** A hub in a slot entered a phase: scenario triggers listen here. */
  phase: [slot: SimSlot, hub: VirtualHub, event: HubPhaseEvent];
  /** The host set a slot's LED (what a technician watches). */
  led: [slot: SimSlot];
  inserted: [slot: SimSlot, hub: VirtualHub];
  removed: [slot: SimSlot, hub: VirtualHub];
}

export interface VirtualJigOptions {
  id: string;
  serial: string;
  profileFor: (spec: HubSpec) => Readonly<HubTimingProfile>;
  /** Timing of the control line and every slot line at start; default {@link INSTANT_LINK}. */
  timing?: LinkTiming;
  /** Seed for the lines' noise generators; default "sim". */
  seed?: string;
}

/**
 * A simulated multi-jig: a control port speaking docs/protocol.md §1 and eight slot lines, each
 * holding at most one hub. Inserting, removing, pressing a button and cutting power behave as on
 * the bench and raise the same unsolicited events.
 */
export class VirtualJig extends EventEmitter<VirtualJigEvents> {
  readonly id: string;
  readonly control: SimLine;
  readonly slots: readonly SimSlot[];
  readonly #profileFor: (spec: HubSpec) => Readonly<HubTimingProfile>;
  readonly #serial: string;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Rebooting: no events out, no commands answered. */
  #booting = false;

  constructor(options: VirtualJigOptions) {
    super();
    this.id = options.id;
    this.#serial = options.serial;
    this.#profileFor = options.profileFor;
    const timing = options.timing ?? INSTANT_LINK;
    const seed = options.seed ?? 'sim';
    this.control = new SimLine(`${options.id}/control`, { timing, seed: `${seed}/${options.id}/control` });
    this.slots = Array.from({ length: SLOTS_PER_JIG }, (_, i) => ({
      number: i + 1,
      line: new SimLine(`${options.id}/${i + 1}`, { timing, seed: `${seed}/${options.id}/${i + 1}` }),
      hub: undefined,
      responder: undefined,
      powered: true,
      led: 'OFF',
      blink: false,
      insertions: 0,
    }));
    const parser = new ReadlineParser({ delimiter: '\n', encoding: 'ascii' });
    parser.on('data', (line: string) => this.#onCommandLine(line));
    this.control.setDevice((chunk) => parser.write(chunk));
    this.control.onHostAttached(() => this.#event('READY', { id: this.id }));
  }

  slot(number: number): SimSlot {
    const slot = this.slots[number - 1];
    if (!slot) throw new RangeError(`jig ${this.id} has slots 1..${SLOTS_PER_JIG}, not ${number}`);
    return slot;
  }

  /** Puts a hub (new or previously removed) into a slot. */
  insert(number: number, hub: VirtualHub | HubSpec): VirtualHub {
    const slot = this.slot(number);
    if (slot.hub) throw new Error(`slot ${this.id}/${number} already holds ${slot.hub.deviceId}`);
    const virtual = hub instanceof VirtualHub ? hub : new VirtualHub(hub, this.#profileFor(hub));
    slot.hub = virtual;
    slot.insertions = (slot.insertions + 1) % 16;
    if (slot.powered) this.#powerUp(slot);
    this.#event('PRESENT', { slot: String(number), ins: slot.insertions.toString(16) });
    this.emit('inserted', slot, virtual);
    return virtual;
  }

  /** Takes the hub out: it loses power (and RAM state) and the slot reports REMOVED. */
  remove(number: number): VirtualHub | undefined {
    const slot = this.slot(number);
    const hub = slot.hub;
    if (!hub) return undefined;
    slot.responder?.powerOff();
    slot.responder = undefined;
    slot.hub = undefined;
    slot.line.setDevice(() => {});
    slot.led = 'OFF';
    slot.blink = false;
    this.#event('REMOVED', { slot: String(number) });
    this.emit('removed', slot, hub);
    return hub;
  }

  pressButton(number: number): void {
    this.slot(number);
    this.#event('BUTTON', { slot: String(number) });
  }

  setPower(number: number, on: boolean): void {
    const slot = this.slot(number);
    if (slot.powered === on) return;
    slot.powered = on;
    if (!on) {
      slot.responder?.powerOff();
      slot.responder = undefined;
      slot.line.setDevice(() => {});
    } else if (slot.hub) {
      this.#powerUp(slot);
    }
  }

  /**
   * A brown-out: the slot's supply drops for `forMs`. The hub loses RAM as with any power cut, and
   * the jig reports it with a POWERFAULT event, as its supervisor would.
   */
  brownOut(number: number, forMs: number): void {
    const slot = this.slot(number);
    if (!slot.powered) return;
    this.setPower(number, false);
    this.#event('POWERFAULT', { slot: String(number) });
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.setPower(number, true);
    }, forMs);
    this.#timers.add(timer);
  }

  /**
   * The jig restarts with its control link up: every slot's supply drops and comes back (hubs lose
   * RAM, keep flash) and every LED goes dark. For `forMs` it is deaf and mute: commands go
   * unanswered and hubs inserted or removed meanwhile raise no event. Then it announces READY, as
   * it does on attach.
   */
  reboot(forMs = 0): void {
    this.#booting = true;
    for (const slot of this.slots) {
      slot.responder?.powerOff();
      slot.responder = undefined;
      slot.line.setDevice(() => {});
      slot.led = 'OFF';
      slot.blink = false;
      slot.powered = true;
      if (slot.hub) this.#powerUp(slot);
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#booting = false;
      this.#event('READY', { id: this.id });
    }, forMs);
    this.#timers.add(timer);
  }

  /** Cancels pending brown-out recoveries and powers every hub down (the simulator closes). */
  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.control.close();
    for (const slot of this.slots) {
      slot.responder?.powerOff();
      slot.line.close();
    }
  }

  #powerUp(slot: SimSlot): void {
    const hub = slot.hub!;
    const responder = new HubResponder(
      hub,
      (bytes) => slot.line.send(bytes),
      (event) => this.emit('phase', slot, hub, event),
      async (baudRate) => {
        await slot.line.sentToHost();
        slot.line.setBaudRate(baudRate);
      },
      // The hub's UART boots at the rate the line is configured for (and goes back to it).
      slot.line.timing.baudRate,
    );
    slot.responder = responder;
    slot.line.setDevice((chunk) => responder.receive(chunk));
  }

  #event(name: JigEventName, fields: Record<string, string>): void {
    if (this.#booting) return;
    this.control.send(formatEvent(name, fields));
  }

  #onCommandLine(raw: string): void {
    const text = raw.trim();
    if (text === '' || this.#booting) return;
    let command: JigCommand;
    try {
      command = parseCommandLine(text);
    } catch {
      const seq = /^#(\d{1,4})/.exec(text)?.[1];
      if (seq) this.control.send(formatError(Number(seq), JIG_ERRORS.BAD_ARGUMENT, 'malformed command'));
      return;
    }
    this.emit('command', command);
    this.control.send(this.#execute(command));
  }

  #execute({ seq, name, args }: JigCommand): string {
    const slotArg = (): SimSlot | string => {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1 || n > SLOTS_PER_JIG) return formatError(seq, JIG_ERRORS.SLOT_RANGE, `slot must be 1..${SLOTS_PER_JIG}`);
      return this.slot(n);
    };
    switch (name) {
      case 'PING':
        return formatOk(seq);
      case 'INFO':
        return formatOk(seq, { id: this.id, slots: String(SLOTS_PER_JIG), fw: '1.0.0', serial: this.#serial });
      case 'STATUS':
        return formatOk(seq, {
          present: this.slots.map((s) => (s.hub ? '1' : '0')).join(''),
          power: this.slots.map((s) => (s.powered ? '1' : '0')).join(''),
          ins: this.slots.map((s) => s.insertions.toString(16)).join(''),
        });
      case 'POWER': {
        const slot = slotArg();
        if (typeof slot === 'string') return slot;
        if (args[1] !== 'ON' && args[1] !== 'OFF') return formatError(seq, JIG_ERRORS.BAD_ARGUMENT, 'POWER <slot> ON|OFF');
        this.setPower(slot.number, args[1] === 'ON');
        return formatOk(seq, { slot: String(slot.number), power: args[1] });
      }
      case 'LED': {
        const slot = slotArg();
        if (typeof slot === 'string') return slot;
        const colour = args[1] as LedColour;
        if (!LED_COLOURS.includes(colour) || (args[2] !== undefined && args[2] !== 'BLINK')) {
          return formatError(seq, JIG_ERRORS.BAD_ARGUMENT, `LED <slot> ${LED_COLOURS.join('|')} [BLINK]`);
        }
        slot.led = colour;
        slot.blink = args[2] === 'BLINK';
        this.emit('led', slot);
        return formatOk(seq);
      }
      default:
        return formatError(seq, JIG_ERRORS.UNKNOWN_COMMAND, `unknown command ${name}`);
    }
  }
}
