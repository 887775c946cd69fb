import type { FrameParserStats } from '../link/frame-parser.js';

/**
 * Everything our parser got from the hub, whole frames and garbled ones (bad CRC, malformed,
 * over-long) alike. A transfer that stalls tells silence from noise by it: a hub that was pulled,
 * lost power or hung sends nothing at all, while a noisy line still brings gap reports, repeated
 * acknowledgements or frames that fail their CRC. Only noise is a reason to cut the block size
 * (docs/protocol.md §2.8); silence must end the session as fast as before.
 */
export function framesHeard(stats: Readonly<FrameParserStats>): number {
  return stats.frames + stats.crcErrors + stats.malformed + stats.overflows;
}
