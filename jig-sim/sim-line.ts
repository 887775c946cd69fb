import type { Duplex } from 'node:stream';
import { INSTANT_LINK, PacedPipe, type LinkTiming } from './paced-pipe.js';
import { WireFaults } from './wire-faults.js';

/** Bytes a host may have queued towards the device before its writes are held back (a UART driver's buffer). */
export const HOST_QUEUE_BYTES = 4096;

export interface SimLineOptions {
  /** Pacing and latency; default {@link INSTANT_LINK}. */
  timing?: LinkTiming;
  /** Seed of this line's noise generators; default the line name. */
  seed?: string;
}

/**
 * One simulated serial line (a jig control port or a slot UART). The device end is a callback;
 * the host end is whatever transport is connected now (in-process stream, TCP socket, PTY). Like
 * a real UART, bytes sent while nothing listens are lost. Each direction is paced on its own
 * ({@link PacedPipe}) and has its own line noise ({@link WireFaults}), applied on arrival.
 */
export class SimLine {
  readonly name: string;
  readonly toDeviceFaults: WireFaults;
  readonly toHostFaults: WireFaults;
  #host: Duplex | undefined;
  #device: (chunk: Buffer) => void = () => {};
  #onHostAttached: () => void = () => {};
  readonly #toDevice: PacedPipe;
  readonly #toHost: PacedPipe;
  #refuseUntil = 0;
  bytesToHost = 0;
  bytesToDevice = 0;
  /** How many host connections this line has accepted (a reconnect shows up here). */
  attachCount = 0;

  constructor(name: string, options: SimLineOptions = {}) {
    this.name = name;
    const seed = options.seed ?? name;
    this.toDeviceFaults = new WireFaults(`${seed}/to-device`);
    this.toHostFaults = new WireFaults(`${seed}/to-host`);
    const timing = options.timing ?? INSTANT_LINK;
    this.#toDevice = new PacedPipe((chunk) => this.#arriveAtDevice(chunk), timing);
    this.#toHost = new PacedPipe((chunk) => this.#arriveAtHost(chunk), timing);
  }

  /** Re-seeds both directions' noise (`<seed>/to-device`, `<seed>/to-host`). */
  reseed(seed: string): void {
    this.toDeviceFaults.reseed(`${seed}/to-device`);
    this.toHostFaults.reseed(`${seed}/to-host`);
  }

  get connected(): boolean {
    return this.#host !== undefined && !this.#host.destroyed;
  }

  get timing(): Readonly<LinkTiming> {
    return this.#toDevice.timing;
  }

  /** Changes pacing or latency of both directions. */
  setTiming(timing: Partial<LinkTiming>): void {
    const next = { ...this.timing, ...timing };
    this.#toDevice.setTiming(next);
    this.#toHost.setTiming(next);
  }

  /**
   * Switches the line rate at run time, as both UARTs do after a SET_BAUD is accepted. Bytes
   * already on the wire finish at the old rate; queued bytes go at the new one.
   */
  setBaudRate(baudRate: number): void {
    this.setTiming({ baudRate });
  }

  /**
   * Resolves when everything the device sent so far has reached the host. A hub switching baud
   * after SET_BAUD sends its BAUD reply, awaits this, then calls {@link setBaudRate}: a real UART
   * finishes transmitting at the old rate before it is reprogrammed.
   */
  sentToHost(): Promise<void> {
    return this.#toHost.idle();
  }

  /** Where bytes from the host go (the hub's or jig's receiver). */
  setDevice(receiver: (chunk: Buffer) => void): void {
    this.#device = receiver;
  }

  onHostAttached(handler: () => void): void {
    this.#onHostAttached = handler;
  }

  /** Refuses (closes at once) host connections for a while: a jig whose USB link is down. */
  refuseHosts(forMs: number): void {
    this.#refuseUntil = performance.now() + forMs;
  }

  /** Connects a host transport; a previous one is dropped, as ser2net does with a new client. */
  attachHost(stream: Duplex): void {
    if (performance.now() < this.#refuseUntil) {
      stream.destroy();
      return;
    }
    const previous = this.#host;
    this.#host = stream;
    this.attachCount++;
    if (previous && previous !== stream) previous.destroy();
    stream.on('data', (chunk: Buffer) => {
      if (this.#host !== stream) return;
      // Hold the host back while a UART buffer's worth waits: a slow line pushes back on its writer.
      if (!this.#toDevice.write(chunk, HOST_QUEUE_BYTES)) {
        stream.pause();
        this.#toDevice.onDrain(() => {
          this.#toDevice.onDrain(undefined);
          if (this.#host === stream) stream.resume();
        });
      }
    });
    stream.on('close', () => {
      if (this.#host === stream) this.#host = undefined;
    });
    stream.on('error', () => stream.destroy());
    this.#onHostAttached();
  }

  /** Device → host. */
  send(bytes: Buffer | string): void {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'ascii') : bytes;
    this.#toHost.write(buf);
  }

  /** Puts random bytes on the line now, towards the host, the device or both. */
  injectGarbage(direction: 'to-host' | 'to-device', range?: readonly [number, number]): void {
    if (direction === 'to-host') this.#deliverToHost(this.toHostFaults.burst(range));
    else this.#device(this.toDeviceFaults.burst(range));
  }

  detachHost(): void {
    const host = this.#host;
    this.#host = undefined;
    host?.destroy();
  }

  /** Stops both directions' timers (the simulator is closing). */
  close(): void {
    this.detachHost();
    this.#toDevice.clear();
    this.#toHost.clear();
  }

  #arriveAtDevice(chunk: Buffer): void {
    const data = this.toDeviceFaults.apply(chunk);
    this.bytesToDevice += data.length;
    if (data.length > 0) this.#device(data);
  }

  #arriveAtHost(chunk: Buffer): void {
    this.#deliverToHost(this.toHostFaults.apply(chunk));
  }

  #deliverToHost(data: Buffer): void {
    const host = this.#host;
    if (!host || host.destroyed || !host.writable || data.length === 0) return;
    this.bytesToHost += data.length;
    host.write(data);
  }
}
