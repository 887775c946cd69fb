import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogImage } from '../../src/images/catalog-image.js';
import { INSTANT_HUB_PROFILE, Simulator, generateStock, parseScenario, type HubSpec, type HubTruth } from '../../jig-sim/index.js';
import { demoCatalog, flashSlot } from '../helpers/sim-session.js';

let sim: Simulator | undefined;
let spec: HubSpec;
let image: CatalogImage;
const target = { jig: 1, slot: 1 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  spec = generateStock({ seed: 'power', count: 1 })[0]!;
  image = (await demoCatalog()).latestFor(spec.manufacturer, spec.model)!;
});

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function start(faults: unknown[], paced = false): Simulator {
  sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE, ...(paced ? { timing: { paced: true, baudRate: 921_600, latencyMs: 1 } } : {}) });
  sim.jig(1).insert(1, spec);
  sim.startScenario(parseScenario({ faults }));
  return sim;
}

/** Collects the jig's control-port lines (events such as !POWERFAULT). */
function controlLines(s: Simulator): string[] {
  const lines: string[] = [];
  s.openInProcess('JIG-1/control')!.on('data', (chunk: Buffer) => lines.push(...chunk.toString('ascii').split('\r\n').filter(Boolean)));
  return lines;
}

describe('removal and power faults', () => {
  it('remove at 50% and re-insert after N ms: the hub waits on the shelf with its prefix, and a later attempt resumes', async () => {
    start([{ kind: 'remove', target, when: { phase: 'TRANSFER', percent: 50 }, reinsertAfterMs: 150 }]);
    let onShelf: HubTruth | undefined;
    sim!.on('removed', () => (onShelf = sim!.truth()[0]));
    const reinserted = new Promise<number>((resolve) => sim!.once('inserted', () => resolve(performance.now())));
    const removedAt = new Promise<number>((resolve) => sim!.once('removed', () => resolve(performance.now())));
    const first = await flashSlot(sim!, 1, 1);
    expect(first.result).toBe('FAILED');
    expect((await reinserted) - (await removedAt)).toBeGreaterThanOrEqual(149);
    expect(onShelf).toMatchObject({ jigId: null, slot: null, powered: false, firmwareVersion: spec.firmwareVersion });
    expect(onShelf!.heldImage!.committedBytes).toBeGreaterThan(0);
    expect(onShelf!.heldImage!.committedBytes).toBeLessThanOrEqual(Math.ceil(image.sizeBytes / 2 / 4096) * 4096);
    expect(sim!.truth()[0]).toMatchObject({ jigId: 'JIG-1', slot: 1, unlocked: false });
    const second = await flashSlot(sim!, 1, 1);
    expect(second.result).toBe('REFLASHED');
    expect(second.transfer!.resumedFromBytes).toBeGreaterThan(0);
    expect(sim!.truth()[0]).toMatchObject({ firmwareVersion: image.version, flashCount: 1, heldImage: null });
  });

  it('brown-out at an offset: POWERFAULT, RAM lost (unlock, buffers), committed flash kept, power back after durationMs', async () => {
    // Paced, so blocks arrive spread out and flash keeps up; unpaced, a whole window can sit in RAM.
    start([{ kind: 'brown-out', target, when: { phase: 'TRANSFER', offset: 32_768 }, durationMs: 100 }], true);
    const lines = controlLines(sim!);
    let during: HubTruth | undefined;
    const poweredOff = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (sim!.faults.fired.length > 0) {
          during = sim!.truth()[0];
          clearInterval(check);
          resolve();
        }
      }, 1);
    });
    const result = await flashSlot(sim!, 1, 1);
    await poweredOff;
    expect(result.result).toBe('FAILED');
    expect(lines).toContain('!POWERFAULT slot=1');
    expect(during).toMatchObject({ powered: false, unlocked: false });
    const after = sim!.truth()[0]!;
    expect(after).toMatchObject({ powered: true, unlocked: false, firmwareVersion: spec.firmwareVersion, heldImage: { verified: false } });
    const committed = after.heldImage!.committedBytes;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThanOrEqual(32_768);
    expect(
      sim!
        .jig(1)
        .slot(1)
        .hub!.flash.subarray(0, committed)
        .equals(Buffer.from(image.data.subarray(0, committed))),
    ).toBe(true);
  });

  it('brown-out on ACTIVATE, before the activation is marked: the old firmware stays and the image must be verified again', async () => {
    start([{ kind: 'brown-out', target, when: { phase: 'ACTIVATE' }, durationMs: 50 }]);
    const result = await flashSlot(sim!, 1, 1);
    expect(result).toMatchObject({ result: 'FAILED', error: { phase: 'ACTIVATING' } });
    expect(sim!.truth()[0]).toMatchObject({
      firmwareVersion: spec.firmwareVersion,
      pendingActivation: false,
      flashCount: 0,
      heldImage: { committedBytes: image.sizeBytes, verified: false },
    });
  });

  it('a time trigger (afterMs) fires once at its time', async () => {
    start([{ kind: 'brown-out', target, when: { afterMs: 60 }, durationMs: 40 }]);
    const lines = controlLines(sim!);
    await sleep(30);
    expect(sim!.truth()[0]!.powered).toBe(true);
    await sleep(50);
    expect(sim!.truth()[0]!.powered).toBe(false);
    await sleep(50);
    expect(sim!.truth()[0]!.powered).toBe(true);
    expect(lines.filter((l) => l === '!POWERFAULT slot=1')).toHaveLength(1);
    expect(sim!.faults.fired).toHaveLength(1);
    expect(sim!.faults.fired[0]!.atMs).toBeGreaterThanOrEqual(59);
  });
});
