import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock, parseScenario } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));
/** Above every catalogued version: what a hub booting from the wrong bank might report. */
const ABOVE = 'FFFF0001';

/**
 * Issue 9, item 2: a hub that boots another version than the image it verified (READBACK_MISMATCH)
 * and on the retry reports a version above the catalogue's was changed by this bench: it is
 * re-flashed, or proposed for scrap when it fails the same way again, never returned REJECTED.
 */
describe('a hub whose firmware the bench changed, now running a version above the catalogue', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  const run = async (seed: string, wrongBoots: number) => {
    const [spec] = generateStock({ seed, count: 1 });
    harness = new BenchHarness({ stock: [spec!], workOrder: true, profile: { ...INSTANT_HUB_PROFILE, rebootMs: 100 } });
    harness.simulator.startScenario(
      parseScenario({ faults: [{ kind: 'boot-version', target: { deviceId: spec!.deviceId }, firmwareVersion: ABOVE, times: wrongBoots }] }),
    );
    await harness.start();
    const [first] = await harness.finished(1, 30_000);
    expect(first!.result).toMatchObject({ result: 'FAILED', error: { code: 'READBACK_MISMATCH' } });
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: ABOVE, flashCount: 1 });
    harness.bench.retry(spec!.deviceId, 'tech-2'); // the technician's retry
    const [, second] = await harness.finished(2, 30_000);
    return { spec: spec!, second: second!, target: LATEST.get(spec!.model)! };
  };

  it('is flashed with the catalogue image again and, booting it, counts as REFLASHED', { timeout: 60_000 }, async () => {
    const { spec, second, target } = await run('changed-firmware-reflash', 1);
    expect(second.result).toMatchObject({ result: 'REFLASHED', firmwareVersion: target });
    expect(second.workOrderHub).toMatchObject({ state: 'REFLASHED', outcome: 'REFLASHED', firmwareBefore: spec.firmwareVersion, firmwareAfter: target });
    expect(harness!.simulator.truth()[0]).toMatchObject({ firmwareVersion: target, flashCount: 2 });
    expect(harness!.store.getHub(spec.deviceId)!.attempts.map((a) => a.result)).toEqual(['FAILED', 'REFLASHED']);
  });

  it('is proposed for scrap when it boots the wrong version again: never REJECTED, never DOWNGRADE_REFUSED', { timeout: 60_000 }, async () => {
    const { spec, second } = await run('changed-firmware-scrap', 2);
    expect(second.result).toMatchObject({ result: 'FAILED', error: { code: 'READBACK_MISMATCH' } });
    expect(second.workOrderHub).toMatchObject({ state: 'SCRAP_PROPOSED', outcome: 'SCRAP', reasonCode: 'READBACK_MISMATCH' });
    expect(harness!.simulator.truth()[0]).toMatchObject({ firmwareVersion: ABOVE, flashCount: 2 });
    expect(harness!.store.getHub(spec.deviceId)!.attempts.map((a) => a.error?.code)).toEqual(['READBACK_MISMATCH', 'READBACK_MISMATCH']);
  });
});
