import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

describe('a bench with more slots than the default session threads take', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('unlocks all 40 hubs of five jigs at once: no seated hub waits for a thread', async () => {
    // Defaults: 2 threads × 16 sessions. Unlocking takes each hub 6 s, so every session that runs
    // is seen in UNLOCKING together; one left in a thread's queue would still show IDENTIFYING.
    harness = new BenchHarness({ jigs: 5, hubs: 40, workOrder: true, profile: { ...INSTANT_HUB_PROFILE, unlockMs: 6_000 } });
    await harness.start();
    const finished = harness.finished(40, 60_000);
    let most = 0;
    let done = false;
    void finished.then(() => (done = true));
    while (!done && most < 40) {
      most = Math.max(most, harness.bench.slots().filter((v) => v.phase === 'UNLOCKING').length);
      await sleep(20);
    }
    expect(most).toBe(40);
    const results = await finished;
    expect(results.filter((r) => r.result.result === 'REFLASHED')).toHaveLength(40);
  });
});
