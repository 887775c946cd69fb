import { FlashdError } from '../domain/errors.js';
import { AckWaiter } from './ack-waiter.js';
import type { HubClient } from './hub-client.js';
import type { Frame } from '../link/frame.js';
import { hubStatusError } from './hub-errors.js';
import { ACK_GAP, type HubMessage } from './hub-messages.js';
import { wireBlock, type PreparedBlocks } from './image-blocks.js';
import { framesHeard } from './line-evidence.js';
import { LineHealth, type LineErrorLimit } from './line-health.js';
import { RoundTrip } from './round-trip.js';

export interface TransferOptions {
  /** The image itself; raw blocks are views of it. */
  data: Uint8Array;
  blocks: PreparedBlocks;
  /** Blocks in flight before an acknowledgement is needed. */
  window: number;
  /** The hub keeps blocks after a gap: resend only the missing one (else go back N). */
  selective: boolean;
  /** Image offset the hub already holds (a confirmed prefix); a multiple of the block size. */
  startOffset: number;
  /** The line's byte rate, so timeouts count from when queued bytes reach the wire. */
  lineBytesPerSecond: number;
  /** Silence after the last block reached the wire before the unacknowledged blocks go again. */
  ackTimeoutMs: number;
  /** Consecutive timeouts without progress before the transfer fails. */
  maxRetries: number;
  /**
   * After a timeout, treat the block at the acknowledged offset as a hole: if its resend is not
   * acknowledged within twice the round trip, send it again rather than wait out another timeout.
   * For a line known to be noisy (blocks already cut), where a go-back-N hub reports each gap only
   * once and most resends are lost again. Default false.
   */
  chaseAfterTimeout?: boolean | undefined;
  /** Stop early (outcome `line-errors`) when errors crowd together; undefined: never. */
  errorLimit?: LineErrorLimit | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: (ackedOffset: number) => void;
  /** Counters, added to (not reset) so several calls at different rates sum up. */
  stats: TransferStats;
}

export interface TransferStats {
  blocksSent: number;
  blocksResent: number;
  /** Image bytes sent, resends included. */
  sentBytes: number;
  /** DATA payload bytes sent (deflated where it was), resends included. */
  wireBytes: number;
  gaps: number;
  timeouts: number;
}

export const emptyTransferStats = (): TransferStats => ({ blocksSent: 0, blocksResent: 0, sentBytes: 0, wireBytes: 0, gaps: 0, timeouts: 0 });

/** `done`: the hub acknowledged the whole image. `line-errors`: stopped so the caller can slow the line. */
export interface TransferOutcome {
  outcome: 'done' | 'line-errors';
  ackedOffset: number;
}

/**
 * Sends image blocks with a sliding window and cumulative acknowledgements. The hub acknowledges a
 * block once buffered, before writing it, so the link never waits for flash. A gap acknowledgement
 * resends at once (as ZMODEM's ZRPOS does): only the missing block when the hub keeps later ones,
 * else everything from the gap. Silence past `ackTimeoutMs` goes back to the last acknowledged
 * offset. Stops only between blocks.
 */
export async function transferImage(client: HubClient, options: TransferOptions): Promise<TransferOutcome> {
  const { blocks, window, stats } = options;
  const { blockBytes, imageBytes } = blocks;
  if (options.startOffset % blockBytes !== 0 && options.startOffset !== imageBytes)
    throw new RangeError(`start offset ${options.startOffset} is not a multiple of ${blockBytes}`);
  const waiter = new AckWaiter(options.ackTimeoutMs, options.lineBytesPerSecond);
  const health = new LineHealth(options.errorLimit);
  let crcSeen = client.parserStats.crcErrors;
  let acked = options.startOffset;
  let next = options.startOffset;
  let highestSent = options.startOffset;
  let rewoundAt = -1;
  let failures = 0;
  /** Since when no block was acknowledged (performance.now() time). */
  let stalledSince = performance.now();
  /** Frames (whole or garbled) heard from the hub up to the last progress: what came since tells noise from silence. */
  let heardAtProgress = framesHeard(client.parserStats);
  let sendError: Error | undefined;
  /** Selective mode: blocks to send again, and when (in blocks sent) each last went. */
  const resend: number[] = [];
  const resentAt = new Map<number, number>();
  const roundTrip = new RoundTrip();
  /** The gap we resent to fill, and when to send it again if it is still open then. */
  let hole: { offset: number; due?: number } | undefined;

  /** Sequence numbers of this call's DATA frames run from here (they ascend, wrapping at 16 bits). */
  let firstSeq: number | undefined;
  let lastSeq = 0;
  let framesSent = 0;
  /** Go-back-N: the sequence number of the first frame sent after the last rewind. */
  let rewindSeq: number | undefined;
  /** A frame with this sequence number went after the rewind (its answer is news about the resend). */
  const sentSinceRewind = (seq: number): boolean => rewindSeq !== undefined && ((seq - rewindSeq) & 0xffff) <= ((lastSeq - rewindSeq) & 0xffff);
  const send = (offset: number): void => {
    const block = wireBlock(blocks, options.data, offset / blockBytes);
    if (offset < highestSent) stats.blocksResent++;
    const data = Buffer.from(block.payload.buffer, block.payload.byteOffset, block.payload.byteLength);
    const seq = client.nextSeq();
    firstSeq ??= seq;
    if (rewindSeq === undefined && rewoundAt !== -1) rewindSeq = seq;
    lastSeq = seq;
    framesSent++;
    const { wireBytes, written } = client.post({ kind: 'DATA', offset, flags: block.flags, data }, seq);
    waiter.queued(wireBytes);
    roundTrip.sentSeq(seq, waiter.wireFreeAt);
    if (offset >= highestSent) roundTrip.sentFirst(offset + block.rawBytes, waiter.wireFreeAt);
    else roundTrip.sentAgain(offset + block.rawBytes);
    const wait = roundTrip.holeTimeoutMs;
    if (hole?.offset === offset && wait !== undefined) hole.due = waiter.wireFreeAt + wait;
    // Not awaited: the bridge keeps order, and waiting for each write would leave a gap per block.
    written.then(
      () => waiter.written(),
      (err: Error) => {
        sendError ??= err;
        waiter.wake();
      },
    );
    stats.blocksSent++;
    stats.sentBytes += block.rawBytes;
    stats.wireBytes += block.payload.length;
    highestSent = Math.max(highestSent, offset + blockBytes);
  };

  client.onUnsolicited((message: HubMessage, frame: Frame) => {
    // A hub that cannot go on (a flash sector that will not program) says so against one of our
    // DATA frames: stop now with its status rather than time out against its silence.
    if (message.kind === 'ERROR' && firstSeq !== undefined && ((frame.seq - firstSeq) & 0xffff) < framesSent) {
      sendError ??= hubStatusError(message.status, message.message, 'ACK');
      waiter.wake();
      return;
    }
    if (message.kind !== 'ACK') return;
    const echoed = roundTrip.echoed(frame.seq);
    // A noisy line: lost frames are the rule, so resend after a few measured round trips, not a full ACK timeout.
    if (echoed && options.chaseAfterTimeout) waiter.timeoutMs = roundTrip.resendTimeoutMs(options.ackTimeoutMs);
    if (message.offset > acked && message.offset <= imageBytes) {
      acked = message.offset;
      failures = 0;
      stalledSince = performance.now();
      heardAtProgress = framesHeard(client.parserStats);
      roundTrip.acknowledged(acked, performance.now(), !echoed);
      options.onProgress?.(acked);
      if (next < acked) next = acked;
      while (resend.length > 0 && resend[0]! < acked) resend.shift();
      if (hole && hole.offset < acked) hole = undefined;
    }
    if ((message.flags & ACK_GAP) !== 0 && message.offset === acked && acked < next) {
      // Selective: again only once the earlier resend has had time to arrive, a window's worth of blocks later.
      const last = resentAt.get(acked);
      // Go-back-N: once per offset, unless it answers a frame sent after we went back there (the
      // resent block was lost too: a noisy line), so the hub's repeated report moves us at once.
      if (
        options.selective
          ? !resend.includes(acked) && (last === undefined || stats.blocksSent - last >= window)
          : rewoundAt !== acked || sentSinceRewind(frame.seq)
      )
        fillGap();
    }
    waiter.wake();
  });

  /** Send the block at the acknowledged offset again: alone (selective) or with all after it (go-back-N). */
  const fillGap = (): void => {
    if (options.selective) resend.push(acked);
    else {
      rewoundAt = acked;
      rewindSeq = undefined;
      next = acked;
    }
    hole = { offset: acked };
    stats.gaps++;
    health.record(stats.blocksSent);
  };

  // A stop request or a closed link ends the wait at once, not after the ACK timer.
  const onAbort = (): void => waiter.wake();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const offClose = client.whenClosed((err) => {
    sendError ??= err;
    waiter.wake();
  });
  try {
    let stopping = false;
    while (acked < imageBytes) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!stopping) {
        while (resend.length > 0) {
          const offset = resend.shift()!;
          resentAt.set(offset, stats.blocksSent);
          send(offset);
        }
        const inFlight = options.chaseAfterTimeout && !options.selective ? noisyWindow(window, (acked - options.startOffset) / blockBytes, framesSent) : window;
        while (next < imageBytes && next - acked < inFlight * blockBytes) {
          send(next);
          next += blockBytes;
        }
      }
      const before = acked;
      const end = await waiter.wait(stopping ? undefined : hole?.due);
      const timedOut = end === 'silence';
      // The block resent to fill a gap is still missing after twice the round trip: lost again.
      if (end === 'deadline' && hole?.offset === acked && !stopping) {
        hole = undefined;
        fillGap();
        continue;
      }
      if (options.signal?.aborted) throw options.signal.reason;
      if (sendError) throw sendError;
      const crcNow = client.parserStats.crcErrors;
      if (crcNow > crcSeen) health.record(stats.blocksSent, crcNow - crcSeen);
      crcSeen = crcNow;
      if (stopping && (timedOut || acked >= next)) return { outcome: 'line-errors', ackedOffset: acked };
      if (timedOut && acked === before) {
        stats.timeouts++;
        health.record(stats.blocksSent);
        // With the adaptive resend timer, also as long a stall as the configured timeouts would allow.
        if (++failures > options.maxRetries && performance.now() - stalledSince >= options.maxRetries * options.ackTimeoutMs) {
          throw new FlashdError(
            'TRANSFER_FAILED',
            `no progress past offset ${acked} of ${imageBytes} after ${failures} timeouts of ${options.ackTimeoutMs} ms`,
            {
              // heard: frames from the hub during the stall; 0 is silence (a hub gone), not noise.
              details: { offset: acked, imageBytes, heard: framesHeard(client.parserStats) - heardAtProgress },
            },
          );
        }
        next = acked;
        rewoundAt = -1;
        rewindSeq = undefined;
        resend.length = 0;
        hole = options.chaseAfterTimeout ? { offset: acked } : undefined;
      }
      // Too many errors: send nothing more, let what is in flight be acknowledged, then hand back.
      if (!stopping && acked < imageBytes && health.exceeded(stats.blocksSent)) {
        stopping = true;
        if (acked >= next) return { outcome: 'line-errors', ackedOffset: acked };
      }
    }
    return { outcome: 'done', ackedOffset: acked };
  } finally {
    waiter.dispose();
    options.signal?.removeEventListener('abort', onAbort);
    offClose();
    client.onUnsolicited(() => {});
  }
}

/** Frames sent before the measured loss sets the window on a noisy line. */
const NOISY_WINDOW_SAMPLE = 16;

/**
 * The window for a go-back-N hub on a line known to be noisy: a lost block costs every block sent
 * after it (the hub drops them, and they are on the wire before its gap report comes back), so
 * keep about as many in flight as arrive in a row on average (1 / measured loss), at least one.
 */
export function noisyWindow(window: number, delivered: number, sent: number): number {
  if (sent < NOISY_WINDOW_SAMPLE) return window;
  const loss = Math.max(0, 1 - delivered / sent);
  return loss === 0 ? window : Math.max(1, Math.min(window, Math.round(1 / loss)));
}
