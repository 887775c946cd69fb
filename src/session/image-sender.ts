import { createHash } from 'node:crypto';
import { FlashdError } from '../domain/errors.js';
import type { HubClient } from './hub-client.js';
import { BEGIN_DISCARD } from './hub-messages.js';
import type { PreparedBlocks } from './image-blocks.js';
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
  return { imageBytes, resumedFromBytes: 0, sentBytes: 0, wireBytes: 0, blocksResent: 0, gaps: 0, timeouts: 0, crcErrors: 0, elapsedMs: 0, blockBytes: plan.blockBytes, window: plan.window, baudRate, stepDowns: 0 };
}

/**
 * BEGIN, resume from what the hub holds if its prefix hash matches ours, then the windowed
 * transfer, stepping the line rate down while the line is too noisy for it. Never trusts a prefix
 * it cannot confirm: a mismatch means BEGIN again with "discard" and start from zero.
 */
export async function sendImage(o: SendImageOptions): Promise<void> {
  const { client, image, blocks, plan, timeouts: t, summary } = o;
  if (blocks.imageSha256 !== image.sha256 || blocks.blockBytes !== plan.blockBytes || blocks.imageBytes !== image.sizeBytes) {
    throw new FlashdError('INTERNAL', `prepared blocks (${blocks.blockBytes} B of ${blocks.imageSha256}) do not fit the plan (${plan.blockBytes} B of ${image.sha256})`);
  }
  const sha256 = Buffer.from(image.sha256, 'hex');
  const begin = (flags: number) =>
    client.request({ kind: 'BEGIN', sha256, imageSize: image.sizeBytes, blockBytes: plan.blockBytes, window: plan.window, flags }, 'READY', {
      timeoutMs: t.requestTimeoutMs,
      retries: t.requestRetries,
      signal: o.signal,
    });
  let ready = await begin(0);
  if (ready.resumeOffset > 0 && !prefixMatches(image.data, ready.resumeOffset, ready.prefixSha256, plan.blockBytes)) {
    summary.prefixRejectedBytes = ready.resumeOffset;
    ready = await begin(BEGIN_DISCARD);
  }
  if (ready.resumeOffset !== 0 && (ready.resumeOffset % plan.blockBytes !== 0 || ready.resumeOffset > image.sizeBytes)) {
    throw new FlashdError('HUB_PROTOCOL', `hub offered resume offset ${ready.resumeOffset}, not a block boundary of ${plan.blockBytes} within ${image.sizeBytes}`);
  }
  summary.resumedFromBytes = ready.resumeOffset;
  o.onProgress?.(ready.resumeOffset);
  const stats = emptyTransferStats();
  const crcBefore = client.parserStats.crcErrors;
  const started = performance.now();
  const update = (): void => {
    Object.assign(summary, { sentBytes: stats.sentBytes, wireBytes: stats.wireBytes, blocksResent: stats.blocksResent, gaps: stats.gaps, timeouts: stats.timeouts });
    summary.crcErrors = client.parserStats.crcErrors - crcBefore;
    summary.elapsedMs = Math.round(performance.now() - started);
    summary.baudRate = o.rate.baudRate;
    summary.stepDowns = o.rate.stepDowns;
  };
  let offset = ready.resumeOffset;
  try {
    for (;;) {
      const { outcome, ackedOffset } = await transferImage(client, {
        data: image.data,
        blocks,
        window: plan.window,
        selective: plan.selective,
        startOffset: offset,
        lineBytesPerSecond: o.rate.baudRate / 10,
        ackTimeoutMs: o.rate.ackTimeoutMs(t.ackTimeoutMs),
        maxRetries: t.transferRetries,
        errorLimit: o.rate.errorLimit,
        signal: o.signal,
        onProgress: o.onProgress,
        stats,
      });
      offset = ackedOffset;
      if (outcome === 'done') return;
      // Too many errors at this rate: one step down (the hub keeps its receive state), then go on.
      if (!(await o.rate.stepDown(o.signal))) o.rate.stopSteppingDown();
    }
  } finally {
    update();
  }
}

function prefixMatches(data: Uint8Array, offset: number, prefixSha256: Buffer, blockBytes: number): boolean {
  if (offset % blockBytes !== 0 || offset > data.length) return false;
  return createHash('sha256').update(data.subarray(0, offset)).digest().equals(prefixSha256);
}
