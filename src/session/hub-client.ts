import { FlashdError } from '../domain/errors.js';
import { encodeFrame, type Frame } from '../link/frame.js';
import { FrameParser, type FrameParserStats } from '../link/frame-parser.js';
import type { PortLink } from '../link/port-link.js';
import { decodeMessage, encodeMessage, type HubMessage, type HubMessageKind, type MessageOf } from './hub-messages.js';
import { hubStatusError } from './hub-errors.js';

export interface RequestOptions {
  /** Reply timeout, armed when the request is on the wire. */
  timeoutMs: number;
  /** Extra attempts after a timeout; the hub answers a repeated sequence number from its reply cache. */
  retries?: number;
  signal?: AbortSignal | undefined;
}

interface Waiter {
  seq: number;
  expect: HubMessageKind;
  resolve: (message: HubMessage) => void;
  reject: (err: Error) => void;
}

/**
 * Request/response over a hub link (the "driver" layer): sequence numbers, reply matching,
 * timeouts that start when the frame is on the wire, retries. Frames that are not replies to a
 * waiting request (ACKs during a transfer) go to the unsolicited handler.
 */
export class HubClient {
  readonly #link: PortLink;
  readonly #parser = new FrameParser();
  #seq = 0;
  #waiter: Waiter | undefined;
  #onUnsolicited: (message: HubMessage, frame: Frame) => void = () => {};
  #framesOut = 0;
  readonly #closeHandlers = new Set<(err: FlashdError) => void>();
  #bytesOut = 0;

  constructor(link: PortLink) {
    this.#link = link;
    link.onData((data) => this.#parser.feed(data, this.#onFrame));
    link.onClose((reason) => {
      this.#waiter?.reject(new FlashdError('LINK_CLOSED', `link closed while awaiting ${this.#waiter.expect}: ${reason}`));
      const err = new FlashdError('LINK_CLOSED', `link closed: ${reason}`);
      for (const handler of this.#closeHandlers) handler(err);
    });
  }

  /** Calls `handler` if the link closes (a transfer waiting for ACKs must not wait out its timer). */
  whenClosed(handler: (err: FlashdError) => void): () => void {
    if (this.#link.closedReason !== undefined) {
      handler(new FlashdError('LINK_CLOSED', `link closed: ${this.#link.closedReason}`));
      return () => {};
    }
    this.#closeHandlers.add(handler);
    return () => this.#closeHandlers.delete(handler);
  }

  get parserStats(): Readonly<FrameParserStats> {
    return this.#parser.stats;
  }

  get bytesOut(): number {
    return this.#bytesOut;
  }

  get framesOut(): number {
    return this.#framesOut;
  }

  onUnsolicited(handler: (message: HubMessage, frame: Frame) => void): void {
    this.#onUnsolicited = handler;
  }

  nextSeq(): number {
    this.#seq = (this.#seq + 1) & 0xffff;
    return this.#seq;
  }

  /** Puts a message on the link without awaiting a reply; resolves when the link has taken it. */
  send(message: HubMessage, seq = this.nextSeq()): Promise<void> {
    return this.post(message, seq).written;
  }

  /** Like {@link send}, and says how many bytes the frame occupies on the wire (for wire-time estimates). */
  post(message: HubMessage, seq = this.nextSeq()): { wireBytes: number; written: Promise<void> } {
    const wire = encodeFrame(encodeMessage(message, seq));
    this.#framesOut++;
    this.#bytesOut += wire.length;
    return { wireBytes: wire.length, written: this.#link.write(wire) };
  }

  /** Sends a request and awaits its reply of kind `expect`; an ERROR reply becomes a typed error. */
  async request<K extends HubMessageKind>(message: HubMessage, expect: K, options: RequestOptions): Promise<MessageOf<K>> {
    const seq = this.nextSeq();
    const attempts = 1 + (options.retries ?? 0);
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      options.signal?.throwIfAborted();
      try {
        return (await this.#once(message, seq, expect, options)) as MessageOf<K>;
      } catch (err) {
        if (!(err instanceof FlashdError) || err.code !== 'HUB_TIMEOUT') throw err;
        lastError = err;
      }
    }
    throw lastError ?? new FlashdError('HUB_TIMEOUT', `no ${expect} reply`);
  }

  async #once(message: HubMessage, seq: number, expect: HubMessageKind, options: RequestOptions): Promise<HubMessage> {
    if (this.#waiter) throw new Error(`request ${message.kind} while ${this.#waiter.expect} is outstanding`);
    const { signal } = options;
    signal?.throwIfAborted();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    // A stop request surfaces as its own reason.
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<HubMessage>((resolve, reject) => {
        this.#waiter = { seq, expect, resolve, reject };
        onAbort = () => reject(signal?.reason as Error);
        signal?.addEventListener('abort', onAbort, { once: true });
        // Register the matcher, then write, then arm the timer once the frame is on the wire.
        this.send(message, seq).then(() => {
          if (settled) return;
          timer = setTimeout(
            () => reject(new FlashdError('HUB_TIMEOUT', `no ${expect} reply to ${message.kind} within ${options.timeoutMs} ms`)),
            options.timeoutMs,
          );
        }, reject);
      });
    } finally {
      settled = true;
      clearTimeout(timer);
      this.#waiter = undefined;
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  readonly #onFrame = (frame: Frame): void => {
    let message: HubMessage;
    try {
      message = decodeMessage(frame);
    } catch {
      this.#parser.stats.malformed++;
      return;
    }
    const waiter = this.#waiter;
    if (waiter && frame.seq === waiter.seq && (message.kind === waiter.expect || message.kind === 'ERROR')) {
      if (message.kind === 'ERROR') waiter.reject(hubStatusError(message.status, message.message, waiter.expect));
      else waiter.resolve(message);
      return;
    }
    if (waiter && frame.seq === waiter.seq && message.kind !== 'ACK') {
      waiter.reject(new FlashdError('HUB_PROTOCOL', `expected ${waiter.expect} for seq ${frame.seq}, got ${message.kind}`));
      return;
    }
    this.#onUnsolicited(message, frame);
  };
}
