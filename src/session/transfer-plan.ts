import { FlashdError } from '../domain/errors.js';
import type { HubCapabilities, TransferPreferences } from './session-types.js';

/** Smallest block a hub may ask for: below this, frame overhead would eat the line. */
export const MIN_BLOCK_BYTES = 64;

/** The transfer parameters one session uses with one hub. */
export interface TransferPlan {
  blockBytes: number;
  /** Blocks in flight before an acknowledgement is needed. */
  window: number;
  deflate: boolean;
  /** Deflate each block with the image before it as dictionary (protocol 1.1); only with `deflate`. */
  dictionary: boolean;
  /** The hub keeps blocks that arrive after a gap, so only the missing block is sent again. */
  selective: boolean;
}

/**
 * Negotiates block size, window and compression from what flashd offers and what the hub
 * advertised in IDENTITY: the smaller of each, compression only if both want it. The bench calls
 * this to prepare the image's blocks before it answers the session, and the session calls it to
 * run the transfer, so both always agree. A hub that advertises an unusable block or window is a
 * protocol error, not a reason to send one-byte blocks.
 */
export function planTransfer(prefs: TransferPreferences, hub: HubCapabilities): TransferPlan {
  if (hub.maxBlockBytes < MIN_BLOCK_BYTES) {
    throw new FlashdError('HUB_PROTOCOL', `hub advertises blocks of at most ${hub.maxBlockBytes} bytes; flashd needs at least ${MIN_BLOCK_BYTES}`);
  }
  if (hub.maxWindow < 1) throw new FlashdError('HUB_PROTOCOL', `hub advertises a window of ${hub.maxWindow} blocks`);
  return {
    blockBytes: Math.min(prefs.blockBytes, hub.maxBlockBytes),
    window: Math.max(1, Math.min(prefs.window, hub.maxWindow)),
    deflate: prefs.deflate && hub.deflate,
    dictionary: prefs.deflate && hub.deflate && hub.deflateDictionary && prefs.deflateDictionary !== false,
    selective: hub.selective,
  };
}
