import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE } from '../../../jig-sim/hub-profile.js';
import { generateStock } from '../../../jig-sim/stock.js';
import { VirtualHub } from '../../../jig-sim/virtual-hub.js';
import { FlashdError } from '../../../src/domain/errors.js';
import { FaultLink, type FaultModel } from '../../helpers/fault-link.js';
import { FAST_TIMEOUTS, IN_MEMORY_BAUD_RATE, flashOverRig } from '../../helpers/transfer-rig.js';

/** Errors a transfer may end with on a bad enough line: each a stable code, none a wrong image. */
// LINE_SUSPECT: the sender cut the block to the smallest size and still lost too much (a hopeless line, said so).
const CLEAN_FAILURES = ['TRANSFER_FAILED', 'HUB_TIMEOUT', 'LINE_SUSPECT'];

const faultModel = fc.record({
  loss: fc.double({ min: 0, max: 0.25, noNaN: true }),
  corrupt: fc.double({ min: 0, max: 0.15, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.2, noNaN: true }),
});

function image(bytes: number, compressible: boolean, seed: number): Uint8Array {
  if (!compressible) return new Uint8Array(randomBytes(bytes));
  // Code-like: a few repeated words with noise, so deflate helps some blocks and not others.
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed) % 7 === 0 ? (i * 2654435761 + seed) & 0xff : 'flashd!'.charCodeAt(i % 7);
  return out;
}

describe('the transfer engine over a lossy, corrupting, duplicating, reordering link', () => {
  it(
    'delivers exactly the image, or fails with a typed error and nothing verified',
    async () => {
      const outcomes = { ok: 0, failed: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            toHub: faultModel,
            toHost: faultModel,
            imageBytes: fc.integer({ min: 1, max: 24_000 }),
            blockBytes: fc.constantFrom(64, 256, 1000, 4096),
            window: fc.integer({ min: 1, max: 12 }),
            selective: fc.boolean(),
            deflate: fc.boolean(),
            compressible: fc.boolean(),
          }),
          async (p) => {
            const spec = generateStock({ seed: `property-${p.seed}`, count: 1 })[0]!;
            const hub = new VirtualHub(spec, { ...INSTANT_HUB_PROFILE, maxWindow: p.window, selectiveResend: p.selective, flashBytes: 32 * 1024 });
            const faults = { toHub: p.toHub, toHost: p.toHost };
            const link = new FaultLink(hub, { seed: p.seed, faults: () => faults, defaultBaudRate: IN_MEMORY_BAUD_RATE });
            const data = image(p.imageBytes, p.compressible, p.seed);
            try {
              const result = await flashOverRig({ hub, link, image: data, prefs: { blockBytes: p.blockBytes, window: 16, deflate: p.deflate } });
              expect(Buffer.from(hub.flash.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
              expect(hub.held?.verified).toBe(true);
              expect(result.summary.sentBytes).toBeGreaterThanOrEqual(data.length);
              outcomes.ok++;
            } catch (err) {
              if (!(err instanceof FlashdError)) throw err;
              expect(CLEAN_FAILURES, `${err.code}: ${err.message}`).toContain(err.code);
              outcomes.failed++;
              if (hub.held?.verified) expect(Buffer.from(hub.flash.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
            } finally {
              link.close();
            }
          },
        ),
        { numRuns: Number(process.env.PROPERTY_RUNS ?? 50) },
      );
      // The line is bad but not hopeless: most runs must get through, or the property proves little.
      if (process.env.PROPERTY_RUNS) console.log(outcomes);
      expect(outcomes.ok).toBeGreaterThan(outcomes.failed);
    },
    Number(process.env.PROPERTY_TIMEOUT_MS ?? 60_000),
  );

  it('on a hopeless line, fails with a typed error, and any success is still exactly the image', async () => {
    const outcomes = { ok: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.5, max: 0.95, noNaN: true }),
        fc.boolean(),
        async (seed, loss, selective) => {
          const spec = generateStock({ seed: `hopeless-${seed}`, count: 1 })[0]!;
          const hub = new VirtualHub(spec, { ...INSTANT_HUB_PROFILE, maxWindow: 4, selectiveResend: selective, flashBytes: 32 * 1024 });
          const model: FaultModel = { loss, corrupt: 0.2, duplicate: 0.1, reorder: 0.1 };
          const link = new FaultLink(hub, { seed, faults: () => ({ toHub: model, toHost: model }), defaultBaudRate: IN_MEMORY_BAUD_RATE });
          const data = image(8000, false, seed);
          try {
            await flashOverRig({
              hub,
              link,
              image: data,
              prefs: { blockBytes: 512, window: 4, deflate: false },
              timeouts: { ...FAST_TIMEOUTS, requestRetries: 3, transferRetries: 3, ackTimeoutMs: 10, requestTimeoutMs: 10 },
            });
            expect(Buffer.from(hub.flash.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
            outcomes.ok++;
          } catch (err) {
            if (!(err instanceof FlashdError)) throw err;
            expect(CLEAN_FAILURES, `${err.code}: ${err.message}`).toContain(err.code);
            if (hub.held?.verified) expect(Buffer.from(hub.flash.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
            outcomes.failed++;
          } finally {
            link.close();
          }
        },
      ),
      { numRuns: 25 },
    );
    expect(outcomes.failed).toBeGreaterThan(0);
  });
});
