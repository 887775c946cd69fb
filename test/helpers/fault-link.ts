import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { HubResponder } from '../../jig-sim/hub-responder.js';
import { Prng } from '../../jig-sim/prng.js';
import type { VirtualHub } from '../../jig-sim/virtual-hub.js';
import type { FromSession, ToSession } from '../../src/link/port-bridge.js';
import { PortLink } from '../../src/link/port-link.js';

/** Per-frame fault probabilities for one direction. */
export interface FaultModel {
  loss: number;
  corrupt: number;
  duplicate: number;
  /** The frame is held back and goes after the next one. */
  reorder: number;
}

export const NO_FAULTS: FaultModel = Object.freeze({ loss: 0, corrupt: 0, duplicate: 0, reorder: 0 });

export interface FaultLinkOptions {
  seed: number;
  /** Faults by the line's current rate, so a test can make one rate noisy and another clean. */
  faults: (baudRate: number) => { toHub: FaultModel; toHost: FaultModel };
  defaultBaudRate?: number;
  /** Drops chosen frames outright (after the fault model): `n` counts frames in that direction from 0. */
  drop?: (direction: 'toHub' | 'toHost', n: number, frame: Buffer) => boolean;
}

/**
 * A hub link in memory with a seeded fault model: the session's real {@link PortLink} on one end
 * of a MessageChannel, a stand-in for the main thread's LinkBridge on the other, and the real
 * simulated hub bootloader behind it. Faults act on whole frames (split at their 0x00
 * delimiters): lost, bytes flipped, sent twice, or swapped with the next frame.
 */
export class FaultLink {
  readonly link: PortLink;
  readonly responder: HubResponder;
  /** The line rate the hub's UART runs at (what a paced line would carry). */
  baudRate: number;
  /** Rates the host asked its end of the line for. */
  readonly hostRates: number[] = [];
  /** The rate the host's end runs at; while it differs from the hub's, every frame is garbage. */
  hostRate: number;
  readonly #bridge: MessagePort;
  readonly #random: () => number;
  readonly #faults: FaultLinkOptions['faults'];
  /** Drops chosen frames (see {@link FaultLinkOptions.drop}); may be replaced while the link runs. */
  drop: FaultLinkOptions['drop'];
  /** Every rate the hub's UART switched to, in order. */
  readonly hubRates: number[] = [];
  readonly #counts = { toHub: 0, toHost: 0 };
  readonly #held: { toHub?: Buffer | undefined; toHost?: Buffer | undefined } = {};
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(hub: VirtualHub, options: FaultLinkOptions) {
    const { port1, port2 } = new MessageChannel();
    this.#bridge = port1;
    const prng = new Prng(options.seed);
    this.#random = () => prng.next();
    this.#faults = options.faults;
    this.drop = options.drop;
    this.baudRate = options.defaultBaudRate ?? 115_200;
    this.hostRate = this.baudRate;
    this.responder = new HubResponder(
      hub,
      (bytes) => this.#pass('toHost', bytes),
      () => {},
      async (rate) => {
        this.baudRate = rate;
        this.hubRates.push(rate);
      },
      this.baudRate,
    );
    this.link = new PortLink(port2);
    port1.on('message', (message: FromSession) => {
      if (message.t === 'tx') {
        // One message may carry several frames (the session batches a window): fault each frame.
        const bytes = Buffer.from(message.data);
        for (let start = 0; start < bytes.length;) {
          const end = bytes.indexOf(0, start);
          const stop = end === -1 ? bytes.length : end + 1;
          this.#pass('toHub', bytes.subarray(start, stop));
          start = stop;
        }
        this.#post({ t: 'txdone', id: message.id });
      } else {
        this.hostRates.push(message.baudRate);
        this.hostRate = message.baudRate;
        this.#post({ t: 'baud', baudRate: message.baudRate });
      }
    });
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.responder.powerOff();
    this.#bridge.close();
  }

  #pass(direction: 'toHub' | 'toHost', frame: Buffer): void {
    const model = this.#faults(this.baudRate)[direction];
    const r = this.#random;
    if (this.drop?.(direction, this.#counts[direction]++, frame)) return;
    if (this.hostRate !== this.baudRate) return; // two UARTs at different rates hear only noise
    if (r() < model.loss) return;
    let bytes = frame;
    if (r() < model.corrupt) {
      bytes = Buffer.from(frame);
      const flips = 1 + Math.floor(r() * 3);
      for (let i = 0; i < flips; i++) bytes[Math.floor(r() * bytes.length)]! ^= 1 + Math.floor(r() * 255);
    }
    const copies = r() < model.duplicate ? 2 : 1;
    if (this.#held[direction] === undefined && r() < model.reorder) {
      this.#held[direction] = bytes;
      // Released by the next frame, or shortly if none comes.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#release(direction);
      }, 5);
      this.#timers.add(timer);
      return;
    }
    for (let i = 0; i < copies; i++) this.#deliver(direction, bytes);
    this.#release(direction);
  }

  #release(direction: 'toHub' | 'toHost'): void {
    const held = this.#held[direction];
    this.#held[direction] = undefined;
    if (held) this.#deliver(direction, held);
  }

  #deliver(direction: 'toHub' | 'toHost', bytes: Buffer): void {
    if (direction === 'toHub') this.responder.receive(bytes);
    else {
      const data = new Uint8Array(bytes);
      this.#post({ t: 'rx', data }, [data.buffer]);
    }
  }

  #post(message: ToSession, transfer: ArrayBuffer[] = []): void {
    try {
      this.#bridge.postMessage(message, transfer);
    } catch {
      // Closed: the session has ended.
    }
  }
}
