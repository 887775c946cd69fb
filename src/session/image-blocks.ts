import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import { joinBytes } from '../link/join-bytes.js';
import { DATA_DEFLATED, DATA_DEFLATED_DICTIONARY, DICTIONARY_BYTES } from './hub-messages.js';

const deflateRawAsync = promisify(deflateRaw);

/** Entries per block in {@link PreparedBlocks.index}: payload start, payload length, DATA flags. */
const INDEX_STRIDE = 3;

/**
 * The wire form of one image at one block size: which blocks go deflated and their deflated
 * bytes. Prepared once per (image, block size, deflate) and shared by every session that sends the
 * image: the typed arrays live in SharedArrayBuffers, so posting this object to a worker shares the
 * memory rather than copying it. Raw blocks are not stored here; they are views of the image itself.
 */
export interface PreparedBlocks {
  imageSha256: string;
  imageBytes: number;
  blockBytes: number;
  /** Whether compression was tried; false when the hub cannot inflate or the bench turned it off. */
  deflate: boolean;
  /** Blocks after the first were deflated with the preceding image as dictionary (protocol 1.1). */
  dictionary: boolean;
  /** Per block: start in `packed`, payload length, DATA flags. Over a SharedArrayBuffer. */
  index: Uint32Array;
  /** Deflated payloads back to back. Over a SharedArrayBuffer; empty when no block shrank. */
  packed: Uint8Array;
  /** Payload bytes of all blocks as they go on the wire (deflated where smaller, raw elsewhere). */
  wireBytes: number;
}

/** One block ready to frame: the bytes to send and the DATA flags that describe them. */
export interface WireBlock {
  offset: number;
  rawBytes: number;
  payload: Uint8Array;
  flags: number;
}

/**
 * Cuts an image into blocks of `blockBytes` and deflates each one (raw deflate, level 9), so a
 * transfer can resume at any block boundary and the hub needs one block of window. With
 * `dictionary` (protocol 1.1) each block is deflated with the up to 32 KiB of image before it as
 * preset dictionary: the hub holds those bytes already, so a block no longer starts from an empty
 * window, which brings the wire close to deflating the whole file (docs/protocol.md §2.7) while
 * resume stays exact. A block is kept deflated only when that makes it smaller: encrypted firmware
 * (57% of real images) costs nothing extra on the wire. Compression runs on libuv's thread pool
 * (async zlib), never on the calling thread's event loop.
 */
export async function prepareBlocks(
  image: { sha256: string; data: Uint8Array },
  blockBytes: number,
  deflate: boolean,
  dictionary = false,
): Promise<PreparedBlocks> {
  if (!Number.isInteger(blockBytes) || blockBytes < 1 || blockBytes > 0xffff) throw new RangeError(`blockBytes must be 1..65535, got ${blockBytes}`);
  const { data } = image;
  const withDictionary = deflate && dictionary;
  const count = Math.ceil(data.length / blockBytes);
  const index = new Uint32Array(new SharedArrayBuffer(count * INDEX_STRIDE * Uint32Array.BYTES_PER_ELEMENT));
  const packedParts: Buffer[] = [];
  let packedBytes = 0;
  let wireBytes = 0;
  const deflated = deflate ? await mapLimited(count, DEFLATE_CONCURRENCY, (i) => deflateBlock(data, blockBytes, i, withDictionary)) : [];
  for (let i = 0; i < count; i++) {
    const rawBytes = Math.min(blockBytes, data.length - i * blockBytes);
    const packed = deflated[i];
    if (packed && packed.bytes.length < rawBytes) {
      index.set([packedBytes, packed.bytes.length, packed.flags], i * INDEX_STRIDE);
      packedParts.push(packed.bytes);
      packedBytes += packed.bytes.length;
      wireBytes += packed.bytes.length;
    } else {
      index.set([0, rawBytes, 0], i * INDEX_STRIDE);
      wireBytes += rawBytes;
    }
  }
  const packed = joinBytes(packedParts, new Uint8Array(new SharedArrayBuffer(packedBytes)));
  return { imageSha256: image.sha256, imageBytes: data.length, blockBytes, deflate, dictionary: withDictionary, index, packed, wireBytes };
}

/**
 * Blocks deflated at once. Each async deflate holds a native zlib state (≈ 300 KiB at level 9)
 * until it ends, and libuv's pool runs four at a time anyway: started all together, a 1 MiB
 * image's 256 blocks held ≈ 75 MB of native memory at once, which the allocator kept as RSS.
 */
const DEFLATE_CONCURRENCY = 4;

/** `work(0..count-1)` with at most `limit` running at once; results in index order. */
async function mapLimited<T>(count: number, limit: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}

/** The image bytes a protocol 1.1 hub uses as the dictionary of the block at `offset`. */
export function dictionaryBefore(data: Uint8Array, offset: number): Uint8Array {
  return data.subarray(Math.max(0, offset - DICTIONARY_BYTES), offset);
}

/** Block `i` deflated alone, or (after the first block) with the image before it as dictionary. */
async function deflateBlock(data: Uint8Array, blockBytes: number, i: number, withDictionary: boolean): Promise<{ bytes: Buffer; flags: number }> {
  const block = blockAt(data, blockBytes, i);
  if (!withDictionary || i === 0) return { bytes: await deflateRawAsync(block, { level: 9 }), flags: DATA_DEFLATED };
  return { bytes: await deflateRawAsync(block, { level: 9, dictionary: dictionaryBefore(data, i * blockBytes) }), flags: DATA_DEFLATED_DICTIONARY };
}

/** Number of blocks in a prepared image. */
export function blockCount(prepared: PreparedBlocks): number {
  return prepared.index.length / INDEX_STRIDE;
}

/** Block `i` as it goes on the wire: a view, never a copy, of the packed bytes or of the image. */
export function wireBlock(prepared: PreparedBlocks, data: Uint8Array, i: number): WireBlock {
  const at = i * INDEX_STRIDE;
  if (i < 0 || at >= prepared.index.length) throw new RangeError(`block ${i} outside 0..${blockCount(prepared) - 1}`);
  const start = prepared.index[at]!;
  const length = prepared.index[at + 1]!;
  const flags = prepared.index[at + 2]!;
  const offset = i * prepared.blockBytes;
  const rawBytes = Math.min(prepared.blockBytes, prepared.imageBytes - offset);
  const payload =
    (flags & (DATA_DEFLATED | DATA_DEFLATED_DICTIONARY)) !== 0 ? prepared.packed.subarray(start, start + length) : blockAt(data, prepared.blockBytes, i);
  return { offset, rawBytes, payload, flags };
}

function blockAt(data: Uint8Array, blockBytes: number, i: number): Uint8Array {
  return data.subarray(i * blockBytes, Math.min((i + 1) * blockBytes, data.length));
}
