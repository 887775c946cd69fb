import type { Duplex } from 'node:stream';

/**
 * One simulated serial line (a jig control port or a slot UART). The device end is a callback;
 * the host end is whatever transport is connected now (in-process stream, TCP socket, PTY). Like
 * a real UART, bytes sent while nothing listens are lost.
 */
export class SimLine {
  readonly name: string;
  #host: Duplex | undefined;
  #device: (chunk: Buffer) => void = () => {};
  #onHostAttached: () => void = () => {};
  bytesToHost = 0;
  bytesToDevice = 0;

  constructor(name: string) {
    this.name = name;
  }

  get connected(): boolean {
    return this.#host !== undefined && !this.#host.destroyed;
  }

  /** Where bytes from the host go (the hub's or jig's receiver). */
  setDevice(receiver: (chunk: Buffer) => void): void {
    this.#device = receiver;
  }

  onHostAttached(handler: () => void): void {
    this.#onHostAttached = handler;
  }

  /** Connects a host transport; a previous one is dropped, as ser2net does with a new client. */
  attachHost(stream: Duplex): void {
    const previous = this.#host;
    this.#host = stream;
    if (previous && previous !== stream) previous.destroy();
    stream.on('data', (chunk: Buffer) => {
      if (this.#host !== stream) return;
      this.bytesToDevice += chunk.length;
      this.#device(chunk);
    });
    stream.on('close', () => {
      if (this.#host === stream) this.#host = undefined;
    });
    stream.on('error', () => stream.destroy());
    this.#onHostAttached();
  }

  /** Device → host. */
  send(bytes: Buffer | string): void {
    const host = this.#host;
    if (!host || host.destroyed || !host.writable) return;
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'ascii') : bytes;
    this.bytesToHost += buf.length;
    host.write(buf);
  }

  detachHost(): void {
    const host = this.#host;
    this.#host = undefined;
    host?.destroy();
  }
}
