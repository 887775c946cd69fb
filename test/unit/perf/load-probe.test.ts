import { describe, expect, it } from 'vitest';
import { LoadProbe } from '../../perf/metrics.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The benchmark's lag figure is how late the event loop ran, not the probe's own timer period. */
describe('LoadProbe', () => {
  it('reads an idle loop as (almost) no delay, where the raw histogram reads its 10 ms period', async () => {
    const probe = new LoadProbe();
    await sleep(400);
    const load = probe.stop();
    expect(load.rawP99Ms).toBeGreaterThanOrEqual(10);
    expect(load.lagP99Ms).toBeLessThan(load.rawP99Ms - 9.5);
  });

  it('reads a loop blocked for 60 ms as a delay of about 60 ms', async () => {
    const probe = new LoadProbe();
    await sleep(50);
    const until = performance.now() + 60;
    while (performance.now() < until);
    await sleep(50);
    const load = probe.stop();
    expect(load.lagMaxMs).toBeGreaterThanOrEqual(50);
    expect(load.lagMaxMs).toBeLessThan(200);
  });
});
