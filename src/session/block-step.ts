import { FlashdError } from '../domain/errors.js';
import { prepareBlocks, type PreparedBlocks } from './image-blocks.js';
import type { SessionImage, TransferSummary } from './session-types.js';
import { MIN_BLOCK_BYTES, type TransferPlan } from './transfer-plan.js';

/**
 * Timeouts without progress a transfer tolerates at a block size it can still shrink from: a
 * block that never arrives intact is not worth the full `transferRetries` before trying a smaller one.
 */
export const SHRINK_AFTER_TIMEOUTS = 2;

/** Times the usual request retries that BEGIN gets once the block size was cut for noise. */
export const NOISY_REQUEST_TRIES = 3;

/**
 * The next smaller block size on a line too noisy for this one: a quarter (a block survives a bit
 * error rate p with probability (1-p)^bits, so a quarter of the bits fares much better), never below
 * {@link MIN_BLOCK_BYTES}; undefined at the smallest. Each size divides the one before, so what
 * the hub holds stays on a block boundary and the transfer resumes there.
 */
export function smallerBlockBytes(blockBytes: number): number | undefined {
  if (blockBytes <= MIN_BLOCK_BYTES) return undefined;
  return Math.max(MIN_BLOCK_BYTES, Math.floor(blockBytes / 4 / MIN_BLOCK_BYTES) * MIN_BLOCK_BYTES);
}

/** The plan and blocks at a smaller size: raw (uncompressed) blocks, cut here from the image itself. */
export async function shrinkBlocks(image: SessionImage, plan: TransferPlan, blockBytes: number): Promise<{ plan: TransferPlan; blocks: PreparedBlocks }> {
  return { plan: { ...plan, blockBytes, deflate: false, dictionary: false }, blocks: await prepareBlocks(image, blockBytes, false) };
}

/** Shortest ACK timeout on a line whose blocks were cut: still well over a hub's sector erase. */
export const MIN_NOISY_ACK_TIMEOUT_MS = 250;

/**
 * With smaller blocks, each lost one costs a silence before the go-back; a hub's ACK for a block a
 * quarter the size comes no later, so the silence allowed shrinks with the block (down to
 * {@link MIN_NOISY_ACK_TIMEOUT_MS}). Otherwise a go-back-N hub on a noisy line gains about one
 * block per timeout.
 */
export function noisyAckTimeoutMs(ackTimeoutMs: number, blockBytes: number, plannedBlockBytes: number): number {
  if (blockBytes >= plannedBlockBytes) return ackTimeoutMs;
  return Math.max(Math.min(ackTimeoutMs, MIN_NOISY_ACK_TIMEOUT_MS), Math.round((ackTimeoutMs * blockBytes) / plannedBlockBytes));
}

/** Line errors per block sent so far: gaps, frames from the hub that failed their CRC, timeouts. */
export function measuredErrorRate(summary: TransferSummary, blocksSent: number): number {
  return blocksSent === 0 ? 1 : Math.round(((summary.gaps + summary.crcErrors + summary.timeouts) / blocksSent) * 1000) / 1000;
}

/**
 * Nothing got through at the smallest block and lowest rate: the slot's line (a worn contact, a
 * bad cable) rather than the hub is the likely fault, and the technician should move the hub.
 */
export function lineSuspect(cause: unknown, summary: TransferSummary, blocksSent: number): FlashdError {
  const errorRate = measuredErrorRate(summary, blocksSent);
  return new FlashdError(
    'LINE_SUSPECT',
    `the slot's line stayed too noisy at ${summary.blockBytes}-byte blocks and ${summary.baudRate} baud (${errorRate} errors per block sent): move the hub to another slot and have this one checked`,
    { cause, details: { errorRate, blockBytes: summary.blockBytes, baudRate: summary.baudRate, offset: (cause as FlashdError).details?.offset } },
  );
}
