import { createHash } from 'node:crypto';
import { FlashdError, isFlashdError } from '../domain/errors.js';
import {
  NOISY_REQUEST_TRIES,
  SHRINK_AFTER_TIMEOUTS,
  lineSuspect,
  measuredErrorRate,
  noisyAckTimeoutMs,
  shrinkBlocks,
  smallerBlockBytes,
} from './block-step.js';
import type { HubClient } from './hub-client.js';
import { BEGIN_DISCARD } from './hub-messages.js';
import type { PreparedBlocks } from './image-blocks.js';
import { framesHeard } from './line-evidence.js';
import type { LineRate } from './line-rate.js';
import type { SessionImage, SessionTimeouts, TransferSummary } from './session-types.js';
import { emptyTransferStats, transferImage } from './transfer.js';
import type { TransferPlan } from './transfer-plan.js';

export interface SendImageOptions {
  client: HubClient;
  image: SessionImage;
  blocks: PreparedBlocks;
  plan: TransferPlan;
  rate: LineRate;
  timeouts: SessionTimeouts;
  signal?: AbortSignal | undefined;
  onProgress?: (doneBytes: number) => void;
  /** Filled in as the transfer goes, so an attempt that fails still records how far it got. */
  summary: TransferSummary;
}

/** A summary before anything was sent. */
export function emptyTransferSummary(imageBytes: number, plan: TransferPlan, baudRate: number): TransferSummary {
  return {
    imageBytes,
    resumedFromBytes: 0,
    sentBytes: 0,
    wireBytes: 0,
    blocksResent: 0,
    gaps: 0,
    timeouts: 0,
    crcErrors: 0,
    elapsedMs: 0,
    blockBytes: plan.blockBytes,
    window: plan.window,
    baudRate,
    stepDowns: 0,
  };
}

/**
 * BEGIN, resume from what the hub holds if its prefix hash matches ours, then the windowed
 * transfer. While the line is too noisy it first steps the rate down, then the block size (BEGIN
 * again with smaller blocks, resuming at what the hub holds); only at the smallest block and the
 * lowest rate does it give up, with LINE_SUSPECT. Never trusts a prefix it cannot confirm: a
 * mismatch means BEGIN again with "discard" and start from zero.
 */
export async function sendImage(o: SendImageOptions): Promise<void> {
  const { client, image, timeouts: t, summary } = o;
  let { blocks, plan } = o;
  if (blocks.imageSha256 !== image.sha256 || blocks.blockBytes !== plan.blockBytes || blocks.imageBytes !== image.sizeBytes) {
    throw new FlashdError(
      'INTERNAL',
      `prepared blocks (${blocks.blockBytes} B of ${blocks.imageSha256}) do not fit the plan (${plan.blockBytes} B of ${image.sha256})`,
    );
  }
  const sha256 = Buffer.from(image.sha256, 'hex');
  // On a line already found noisy (smaller blocks), BEGIN gets more tries: it is one short exchange.
  const begin = (flags: number): ReturnType<typeof client.request<'READY'>> =>
    client.request({ kind: 'BEGIN', sha256, imageSize: image.sizeBytes, blockBytes: plan.blockBytes, window: plan.window, flags }, 'READY', {
      timeoutMs: t.requestTimeoutMs,
      retries: summary.blockSteps ? t.requestRetries * NOISY_REQUEST_TRIES : t.requestRetries,
      signal: o.signal,
    });
  const start = async (): Promise<number> => {
    let ready = await begin(0);
    if (ready.resumeOffset > 0 && !prefixMatches(image.data, ready.resumeOffset, ready.prefixSha256, plan.blockBytes)) {
      summary.prefixRejectedBytes = ready.resumeOffset;
      ready = await begin(BEGIN_DISCARD);
    }
    if (ready.resumeOffset !== 0 && (ready.resumeOffset % plan.blockBytes !== 0 || ready.resumeOffset > image.sizeBytes)) {
      throw new FlashdError(
        'HUB_PROTOCOL',
        `hub offered resume offset ${ready.resumeOffset}, not a block boundary of ${plan.blockBytes} within ${image.sizeBytes}`,
      );
    }
    return ready.resumeOffset;
  };
  const resumedFrom = await start();
  summary.resumedFromBytes = resumedFrom;
  o.onProgress?.(resumedFrom);
  const stats = emptyTransferStats();
  const crcBefore = client.parserStats.crcErrors;
  const started = performance.now();
  const update = (): void => {
    Object.assign(summary, {
      sentBytes: stats.sentBytes,
      wireBytes: stats.wireBytes,
      blocksResent: stats.blocksResent,
      gaps: stats.gaps,
      timeouts: stats.timeouts,
    });
    summary.crcErrors = client.parserStats.crcErrors - crcBefore;
    summary.elapsedMs = Math.round(performance.now() - started);
    summary.baudRate = o.rate.baudRate;
    summary.stepDowns = o.rate.stepDowns;
    summary.blockBytes = plan.blockBytes;
  };
  /** Smaller blocks from here on; the hub is asked to BEGIN again and says where to resume. */
  const shrink = async (): Promise<boolean> => {
    const smaller = smallerBlockBytes(plan.blockBytes);
    if (smaller === undefined) return false;
    ({ plan, blocks } = await shrinkBlocks(image, plan, smaller));
    summary.blockBytes = smaller;
    summary.blockSteps = (summary.blockSteps ?? 0) + 1;
    offset = await start();
    return true;
  };
  /** {@link shrink} at the current rate; false when there is no smaller block or the hub no longer answers at this rate. */
  const shrinkHere = async (): Promise<boolean> => {
    if (smallerBlockBytes(plan.blockBytes) === undefined) return false;
    try {
      return await shrink();
    } catch (err) {
      // Not even BEGIN gets through: at the base rate the line is suspect (below); above it, go there.
      if (!isFlashdError(err, 'HUB_TIMEOUT') || !o.rate.aboveBase) throw err;
      await o.rate.fallBack(o.signal);
      offset = await start();
      return true;
    }
  };
  /** Evidence of noise was seen (garbled frames, gap reports, a stall the hub still answers in): only then are blocks cut and the line suspect. */
  let noisy = false;
  /** The HUB_TIMEOUT of a hub found gone (it sent nothing at all): passed on as it is. */
  let silentHub: Error | undefined;
  /**
   * The transfer stalled and the hub said nothing at all: is it still there? An IDENTIFY at this
   * rate; above the base rate only two tries (what the SET_BAUD it replaces cost), then back to the
   * base rate (a hub that heard nothing valid reverts by itself). A hub that answers heard our
   * short frames while the blocks died on the way: noise. One that stays silent and sends not even
   * a garbled frame is gone (pulled, unpowered, hung): its HUB_TIMEOUT ends the session now, no
   * later than before, without cutting blocks or calling the line suspect.
   */
  const askAfterSilence = async (): Promise<void> => {
    const before = framesHeard(client.parserStats);
    const heardSince = (): boolean => framesHeard(client.parserStats) > before;
    // On a line already found noisy the IDENTIFY itself may be lost a few times.
    const retries = o.rate.aboveBase ? 1 : t.requestRetries;
    try {
      await client.request({ kind: 'IDENTIFY' }, 'IDENTITY', {
        timeoutMs: t.requestTimeoutMs,
        retries: noisy ? (retries + 1) * NOISY_REQUEST_TRIES - 1 : retries,
        signal: o.signal,
      });
      return;
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT')) throw err;
      // Only garbled answers: the hub is there, the line is noisy.
      if (heardSince()) return;
      if (!o.rate.aboveBase) {
        silentHub = err;
        throw err;
      }
    }
    try {
      await o.rate.fallBack(o.signal, { askHub: false });
    } catch (err) {
      // Garbled replies only: the line, not the hub (LINE_SUSPECT below); not a frame: the hub is gone.
      if (isFlashdError(err, 'HUB_TIMEOUT')) {
        if (heardSince()) noisy = true;
        else silentHub = err;
      }
      throw err;
    }
  };
  /**
   * One rate step down; on a noisy line the SET_BAUD exchange itself may be lost, leaving the hub
   * at either rate: then both ends meet at the base rate (ours set there, the hub's by its idle
   * revert) and the transfer resumes, rather than calling the line suspect over one lost exchange.
   */
  const stepDownOrFallBack = async (): Promise<boolean> => {
    try {
      return await o.rate.stepDown(o.signal);
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT')) throw err;
      await o.rate.fallBack(o.signal, { askHub: false });
      offset = await start();
      return true;
    }
  };
  let offset = resumedFrom;
  try {
    for (;;) {
      const canShrink = smallerBlockBytes(plan.blockBytes) !== undefined;
      let outcome: 'done' | 'line-errors';
      try {
        let ackedOffset: number;
        ({ outcome, ackedOffset } = await transferImage(client, {
          data: image.data,
          blocks,
          window: plan.window,
          selective: plan.selective,
          startOffset: offset,
          lineBytesPerSecond: o.rate.baudRate / 10,
          ackTimeoutMs: noisyAckTimeoutMs(o.rate.ackTimeoutMs(t.ackTimeoutMs), plan.blockBytes, o.plan.blockBytes),
          chaseAfterTimeout: plan.blockBytes < o.plan.blockBytes,
          maxRetries: canShrink ? Math.min(t.transferRetries, SHRINK_AFTER_TIMEOUTS) : t.transferRetries,
          // At the base rate the same limit makes the transfer hand back for a smaller block.
          errorLimit: o.rate.errorLimit ?? (canShrink ? o.rate.noiseLimit : undefined),
          signal: o.signal,
          onProgress: o.onProgress,
          stats,
        }));
        offset = ackedOffset;
      } catch (err) {
        if (!isFlashdError(err, 'TRANSFER_FAILED')) throw err;
        offset = (err.details?.offset as number | undefined) ?? offset;
        // Frames heard during the stall (gap reports, garbled ones) are noise; none at all, ask first.
        if (!((err.details?.heard as number | undefined) ?? 0)) await askAfterSilence();
        noisy = true;
        // No block got through: smaller blocks first (a block survives bit errors far better the
        // shorter it is), at this rate while the hub still answers BEGIN here; then the base rate (a
        // hub that heard nothing valid for a while has gone back there by itself); at the smallest
        // block and the base rate, the line is suspect.
        if (await shrinkHere()) continue;
        if (o.rate.aboveBase) {
          await o.rate.fallBack(o.signal);
          if (smallerBlockBytes(plan.blockBytes) !== undefined) await shrink();
          else offset = await start();
          continue;
        }
        update();
        throw lineSuspect(err, summary, stats.blocksSent);
      }
      if (outcome === 'done') {
        // Through, but only with cut blocks: the slot's line is still far noisier than a sound one.
        if (summary.blockSteps) {
          update();
          Object.assign(summary, { lineSuspect: true, errorRate: measuredErrorRate(summary, stats.blocksSent) });
        }
        return;
      }
      noisy = true;
      // Too many errors at this rate: one step down (the hub keeps its receive state), then go on;
      // at the lowest rate, smaller blocks. But once blocks were cut because short frames got
      // through where long ones did not, the errors come per bit, not from the rate: cut further
      // here first (a quarter of the bits, at eight times the wire speed of the base rate).
      if (summary.blockSteps && (await shrinkHere())) continue;
      if (await stepDownOrFallBack()) continue;
      o.rate.stopSteppingDown();
      await shrink();
    }
  } catch (err) {
    // A line already found noisy that now loses even the short exchanges of a rate change or a
    // BEGIN: the same verdict as when the smallest block does not get through. Not a hub gone silent.
    if (isFlashdError(err, 'HUB_TIMEOUT') && noisy && err !== silentHub) {
      update();
      throw lineSuspect(err, summary, stats.blocksSent);
    }
    throw err;
  } finally {
    update();
  }
}

function prefixMatches(data: Uint8Array, offset: number, prefixSha256: Buffer, blockBytes: number): boolean {
  if (offset % blockBytes !== 0 || offset > data.length) return false;
  return createHash('sha256').update(data.subarray(0, offset)).digest().equals(prefixSha256);
}
