import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A technician swaps a finished hub for the next one (REMOVED and PRESENT back to back) while the
 * bench's slot reconciliation has a STATUS in flight. The jig answers STATUS before it sends the
 * events, so the reply is older than them, but the bench reads the events of the same chunk before
 * it resumes with the reply. Healing from that stale reply invented a second swap: the new hub's
 * session was cancelled (HUB_REMOVED) and started again. The pipeline benchmark found it: each
 * invented swap there fed the next, and most sessions ended HUB_REMOVED.
 */
describe('a hub swapped while the slots are being reconciled', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('is one removal and one new session, never an invented swap', async () => {
    const swaps = 40;
    const stock = generateStock({ seed: 'swap-reconcile', count: swaps + 1 });
    // Reconciling every 2 ms keeps a STATUS in flight almost all the time.
    const h = new BenchHarness({ stock: stock.slice(0, 1), reserve: stock.slice(1), workOrder: true, profile: INSTANT_HUB_PROFILE, jigReconcileMs: 2 });
    harness = h;
    await h.start();
    const jig = h.simulator.jig(1);
    for (let i = 1; i <= swaps; i++) {
      await waitFor(`hub ${i} to finish`, () => h.results.length >= i, { timeoutMs: 10_000 });
      jig.remove(1);
      jig.insert(1, stock[i]!);
    }
    await waitFor('the last hub to finish', () => h.results.length >= swaps + 1, { timeoutMs: 10_000 });
    // Give an invented swap time to show.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const outcomes = h.results.map((r) => `${r.result.result}${r.result.error ? ` ${r.result.error.code}` : ''}`);
    expect(outcomes).toEqual(Array.from({ length: swaps + 1 }, () => 'REFLASHED'));
    expect(h.results.map((r) => r.hub?.deviceId)).toEqual(stock.map((s) => s.deviceId));
  }, 60_000);
});
