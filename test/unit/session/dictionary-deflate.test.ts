import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, type HubTimingProfile } from '../../../jig-sim/hub-profile.js';
import { inflateBlock } from '../../../jig-sim/image-receiver.js';
import { generateStock } from '../../../jig-sim/stock.js';
import { VirtualHub } from '../../../jig-sim/virtual-hub.js';
import { cobsDecode } from '../../../src/link/cobs.js';
import { DATA_DEFLATED_DICTIONARY, MSG } from '../../../src/session/hub-messages.js';
import { blockCount, dictionaryBefore, prepareBlocks, wireBlock } from '../../../src/session/image-blocks.js';
import { otaFileBody } from '../../perf/perf-catalog.js';
import { FaultLink, NO_FAULTS } from '../../helpers/fault-link.js';
import { FAST_TIMEOUTS, IN_MEMORY_BAUD_RATE, flashOverRig } from '../../helpers/transfer-rig.js';

const ROOT = join(import.meta.dirname, '../../..');
interface Vectors {
  source: string;
  imageBytes: number;
  imageSha256: string;
  blockBytes: number;
  zlibVersion: string;
  blocks: Array<{ index: number; offset: number; flags: number; dictionaryOffset: number; dictionaryBytes: number; rawSha256: string; payloadHex: string }>;
}
const vectors = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/protocol-1.1/vectors.json'), 'utf8')) as Vectors;
const vectorImage = readFileSync(join(ROOT, vectors.source)).subarray(0, vectors.imageBytes);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('protocol 1.1 golden vectors (docs/protocol.md §2.6a)', () => {
  it('the vectors describe the committed sample', () => {
    expect(sha256(vectorImage)).toBe(vectors.imageSha256);
    expect(vectors.blocks.map((b) => b.dictionaryBytes)).toEqual([0, 4096, 32768, 32768]);
  });

  it("the simulator's decoder turns each golden payload into its block, using exactly the 32 KiB before it", () => {
    for (const v of vectors.blocks) {
      const dictionary = vectorImage.subarray(v.dictionaryOffset, v.offset);
      const out = inflateBlock({ flags: v.flags, data: Buffer.from(v.payloadHex, 'hex') }, vectors.blockBytes, dictionary);
      expect(out && sha256(out), `block ${v.index}`).toBe(v.rawSha256);
    }
    // The wrong dictionary (the window not slid) does not give the block back.
    const nine = vectors.blocks.find((b) => b.index === 9)!;
    const stale = inflateBlock({ flags: nine.flags, data: Buffer.from(nine.payloadHex, 'hex') }, vectors.blockBytes, vectorImage.subarray(0, 32768));
    expect(stale && sha256(stale)).not.toBe(nine.rawSha256);
  });

  it("the daemon's encoder gives payloads the simulator decodes, byte-identical to the vectors on the same zlib", async () => {
    const prepared = await prepareBlocks({ sha256: vectors.imageSha256, data: vectorImage }, vectors.blockBytes, true, true);
    for (const v of vectors.blocks) {
      const block = wireBlock(prepared, vectorImage, v.index);
      expect(block.flags, `block ${v.index}`).toBe(v.flags);
      expect(dictionaryBefore(vectorImage, v.offset).length).toBe(v.dictionaryBytes);
      const out = inflateBlock(
        { flags: block.flags, data: Buffer.from(block.payload) },
        vectors.blockBytes,
        Buffer.from(dictionaryBefore(vectorImage, v.offset)),
      );
      expect(out && sha256(out)).toBe(v.rawSha256);
      // Deflate output is only fixed for one zlib build; another build must still decode (above).
      if (process.versions.zlib === vectors.zlibVersion) expect(Buffer.from(block.payload).toString('hex')).toBe(v.payloadHex);
    }
  });

  it('a 1.0 hub (no dictionary) refuses a 0x02 block rather than flashing wrong bytes', () => {
    const one = vectors.blocks.find((b) => b.index === 1)!;
    expect(inflateBlock({ flags: one.flags, data: Buffer.from(one.payloadHex, 'hex') }, vectors.blockBytes, undefined)).toBeUndefined();
  });
});

let link: FaultLink | undefined;
afterEach(() => link?.close());

function rig(profile: Partial<HubTimingProfile>, drop?: (n: number) => boolean): { hub: VirtualHub; link: FaultLink } {
  const hub = new VirtualHub(generateStock({ seed: 'dictionary', count: 1 })[0]!, { ...INSTANT_HUB_PROFILE, maxWindow: 8, flashBytes: 512 * 1024, ...profile });
  let dataFrames = 0;
  link = new FaultLink(hub, {
    seed: 7,
    faults: () => ({ toHub: NO_FAULTS, toHost: NO_FAULTS }),
    defaultBaudRate: IN_MEMORY_BAUD_RATE,
    drop: (direction, _n, frame) => direction === 'toHub' && cobsDecode(frame.subarray(0, -1))?.[0] === MSG.DATA && drop !== undefined && drop(dataFrames++),
  });
  return { hub, link };
}

const STEADY = { ...FAST_TIMEOUTS, requestTimeoutMs: 1000, ackTimeoutMs: 300 };
const prefs = { blockBytes: 4096, window: 8, deflate: true };
// A real, compressible ZigBee OTA image (whole-file deflate ratio 0.73).
const image = otaFileBody(join(ROOT, 'test/fixtures/ota-samples/han_adapter-2.0_MG13_reworked.ota'));

describe('dictionary deflate over the link', () => {
  it('a 1.1 hub gets ≥ 0.97 of the whole-file deflate gain on a real image (per-block deflate: ~0.94)', async () => {
    const r = rig({ deflateDictionary: true });
    const { summary } = await flashOverRig({ ...r, image, prefs, timeouts: STEADY });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
    const perBlock = await prepareBlocks({ sha256: sha256(image), data: image }, 4096, true, false);
    const whole = deflateRawSync(image, { level: 9 }).length;
    expect(summary.wireBytes).toBeLessThan(perBlock.wireBytes);
    expect(image.length / summary.wireBytes / (image.length / whole)).toBeGreaterThanOrEqual(0.97);
  });

  it('a 1.0 hub (deflate, no dictionary) still flashes, with blocks deflated one by one', async () => {
    const r = rig({ deflateDictionary: false });
    const { summary } = await flashOverRig({ ...r, image, prefs, timeouts: STEADY });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
    const perBlock = await prepareBlocks({ sha256: sha256(image), data: image }, 4096, true, false);
    expect(summary.wireBytes).toBe(perBlock.wireBytes);
  });

  it('resume is exact: the dictionary of the first block after the held prefix comes from flash', async () => {
    const r = rig({ deflateDictionary: true });
    const held = 20 * 4096 + 100;
    r.hub.held = { sha256: Buffer.from(sha256(image), 'hex'), sizeBytes: image.length, committedBytes: held, verified: false };
    image.copy(r.hub.flash, 0, 0, held);
    const { summary } = await flashOverRig({ ...r, image, prefs, timeouts: STEADY });
    expect(summary.resumedFromBytes).toBe(20 * 4096);
    // Not by the hub refusing blocks and the host falling back to raw ones.
    expect(summary).toMatchObject({ gaps: 0, timeouts: 0, blocksResent: 0, blockBytes: 4096 });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('a selective hub keeps blocks after a lost one and inflates them once the hole is filled', async () => {
    const r = rig({ deflateDictionary: true, selectiveResend: true }, (n) => n === 5 || n === 30);
    const { summary } = await flashOverRig({ ...r, image, prefs, timeouts: STEADY });
    expect(summary.blocksResent).toBeGreaterThanOrEqual(2);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('every block after the first of a compressible image goes as a dictionary block', async () => {
    const prepared = await prepareBlocks({ sha256: sha256(image), data: image }, 4096, true, true);
    const flags = Array.from({ length: blockCount(prepared) }, (_, i) => wireBlock(prepared, image, i).flags);
    expect(flags.slice(1).filter((f) => f === DATA_DEFLATED_DICTIONARY).length).toBeGreaterThan(0.9 * (flags.length - 1));
  });
});
