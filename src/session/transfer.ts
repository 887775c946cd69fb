import { FlashdError } from '../domain/errors.js';
import type { HubClient } from './hub-client.js';
import { ACK_GAP, DATA_DEFLATED, type HubMessage } from './hub-messages.js';
import type { WireBlock } from './image-blocks.js';

export interface TransferOptions {
  imageBytes: number;
  blockBytes: number;
  /** Blocks in flight before an acknowledgement is needed. */
  window: number;
  /** Image offset the hub already holds (a confirmed prefix); a multiple of blockBytes. */
  startOffset: number;
  /** Time without progress before the unacknowledged blocks are sent again. */
  ackTimeoutMs: number;
  /** Consecutive timeouts without progress before the transfer fails. */
  maxRetries: number;
  signal?: AbortSignal | undefined;
  onProgress?: (ackedOffset: number) => void;
}

export interface TransferStats {
  startOffset: number;
  blocksSent: number;
  blocksResent: number;
  wireBytes: number;
  timeouts: number;
}

/**
 * Sends image blocks with a sliding window and cumulative acknowledgements (go-back-N). The hub
 * acknowledges a block when it has buffered it, before writing it, so the link never waits for
 * flash. A gap acknowledgement rewinds at once (as ZMODEM's ZRPOS does); silence for
 * `ackTimeoutMs` rewinds to the last acknowledged offset. Stops only between blocks.
 */
export async function transferImage(client: HubClient, blocks: readonly WireBlock[], options: TransferOptions): Promise<TransferStats> {
  const { blockBytes, imageBytes, window } = options;
  if (options.startOffset % blockBytes !== 0) throw new RangeError(`start offset ${options.startOffset} is not a multiple of ${blockBytes}`);
  const stats: TransferStats = { startOffset: options.startOffset, blocksSent: 0, blocksResent: 0, wireBytes: 0, timeouts: 0 };
  let acked = options.startOffset;
  let next = options.startOffset;
  let highestSent = options.startOffset;
  let rewoundAt = -1;
  let failures = 0;
  const waiter = new ProgressWaiter(options.ackTimeoutMs);
  let sendError: Error | undefined;

  client.onUnsolicited((message: HubMessage) => {
    if (message.kind !== 'ACK') return;
    if (message.offset > acked && message.offset <= imageBytes) {
      acked = message.offset;
      failures = 0;
      options.onProgress?.(acked);
      if (next < acked) next = acked;
    }
    if ((message.flags & ACK_GAP) !== 0 && message.offset === acked && rewoundAt !== acked) {
      rewoundAt = acked;
      next = acked;
    }
    waiter.wake();
  });

  try {
    while (acked < imageBytes) {
      if (options.signal?.aborted) throw options.signal.reason;
      while (next < imageBytes && next - acked < window * blockBytes) {
        const block = blocks[next / blockBytes];
        if (!block) throw new RangeError(`no block at offset ${next}`);
        if (next < highestSent) stats.blocksResent++;
        const flags = block.deflated ? DATA_DEFLATED : 0;
        // Not awaited: the bridge keeps order, and waiting for each txdone would leave a gap per block.
        const data = Buffer.from(block.payload.buffer, block.payload.byteOffset, block.payload.byteLength);
        client.send({ kind: 'DATA', offset: block.offset, flags, data }).then(
          () => waiter.onWire(),
          (err: Error) => {
            sendError = err;
            waiter.wake();
          },
        );
        stats.blocksSent++;
        stats.wireBytes += block.payload.length;
        next += blockBytes;
        if (next > highestSent) highestSent = next;
      }
      const before = acked;
      const timedOut = await waiter.wait();
      if (sendError) throw sendError;
      if (timedOut && acked === before) {
        stats.timeouts++;
        if (++failures > options.maxRetries) {
          throw new FlashdError('TRANSFER_FAILED', `no progress past offset ${acked} of ${imageBytes} after ${failures} timeouts of ${options.ackTimeoutMs} ms`, {
            details: { offset: acked, imageBytes },
          });
        }
        next = acked;
        rewoundAt = -1;
      }
    }
  } finally {
    client.onUnsolicited(() => {});
  }
  return stats;
}

/**
 * Waits for an acknowledgement. The timeout is re-armed each time a block reaches the wire, so it
 * measures silence after the last byte left, not time spent queued behind other blocks.
 */
class ProgressWaiter {
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((timedOut: boolean) => void) | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  wait(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.#resolve = resolve;
      this.#arm();
    });
  }

  onWire(): void {
    if (this.#resolve) this.#arm();
  }

  wake(): void {
    this.#settle(false);
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#settle(true), this.#timeoutMs);
  }

  #settle(timedOut: boolean): void {
    clearTimeout(this.#timer);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(timedOut);
  }
}
