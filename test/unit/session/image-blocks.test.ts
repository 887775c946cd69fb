import { createHash, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../src/bench/block-cache.js';
import { DATA_DEFLATED } from '../../../src/session/hub-messages.js';
import { blockCount, prepareBlocks, wireBlock } from '../../../src/session/image-blocks.js';

function shared(bytes: Uint8Array): { sha256: string; data: Uint8Array } {
  const data = new Uint8Array(new SharedArrayBuffer(bytes.length));
  data.set(bytes);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), data };
}

describe('prepared image blocks', () => {
  it('deflates a block only when that makes it smaller, and every block decodes to the image', async () => {
    const image = shared(Buffer.concat([Buffer.alloc(3000, 0x41), randomBytes(5000), Buffer.from('x'.repeat(1500))]));
    const prepared = await prepareBlocks(image, 1024, true);
    expect(blockCount(prepared)).toBe(Math.ceil(9500 / 1024));
    const rebuilt: Buffer[] = [];
    let wire = 0;
    for (let i = 0; i < blockCount(prepared); i++) {
      const block = wireBlock(prepared, image.data, i);
      expect(block.offset).toBe(i * 1024);
      wire += block.payload.length;
      if (block.flags & DATA_DEFLATED) {
        expect(block.payload.length).toBeLessThan(block.rawBytes);
        rebuilt.push(inflateRawSync(block.payload));
      } else {
        // Raw blocks are views of the shared image, not copies.
        expect(block.payload.buffer).toBe(image.data.buffer);
        rebuilt.push(Buffer.from(block.payload));
      }
    }
    expect(Buffer.concat(rebuilt).equals(Buffer.from(image.data))).toBe(true);
    expect(prepared.wireBytes).toBe(wire);
    expect(prepared.wireBytes).toBeLessThan(9500 - 4000);
  });

  it('stores nothing extra for an image that does not compress (encrypted firmware)', async () => {
    const image = shared(randomBytes(64 * 1024));
    const prepared = await prepareBlocks(image, 4096, true);
    expect(prepared.packed.length).toBe(0);
    expect(prepared.wireBytes).toBe(64 * 1024);
  });

  it('lives in shared memory, so posting it to a worker shares instead of copying', async () => {
    const prepared = await prepareBlocks(shared(Buffer.alloc(10_000, 1)), 4096, true);
    expect(prepared.index.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(prepared.packed.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('block cache', () => {
  it('prepares each (image, block size, mode) once, also for requests that arrive while it runs', async () => {
    const cache = new BlockCache();
    const a = shared(randomBytes(20_000));
    const b = shared(randomBytes(20_000));
    const first = await Promise.all(Array.from({ length: 12 }, () => cache.get(a, 4096, true)));
    expect(new Set(first).size).toBe(1);
    await cache.get(a, 2048, true);
    await cache.get(a, 4096, false);
    await cache.get(b, 4096, true);
    await cache.get(b, 4096, true);
    expect(cache.stats).toEqual({ prepared: 4, hits: 12 });
  });
});
