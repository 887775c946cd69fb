import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * After a jig reboots (READY on a live link) the bench reads its slots with STATUS. A hub seated
 * just as the jig answers raises a PRESENT that the bench reads in the same chunk as the reply,
 * before it resumes with the reply: taking that older reply as the truth forgot the new hub (and
 * its insertion count), and the next reconciliation "healed" it with an invented swap that
 * cancelled its session. The same race as a swap during the reconciliation, on the READY path.
 */
describe('a hub seated while the bench reads a rebooted jig', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('gets one session and is flashed once, never a swap nobody made', async () => {
    const rounds = 6;
    const stock = generateStock({ seed: 'insert-after-ready', count: rounds + 1 });
    const h = new BenchHarness({ stock: stock.slice(0, 1), reserve: stock.slice(1), workOrder: true, profile: INSTANT_HUB_PROFILE, jigReconcileMs: 20 });
    harness = h;
    await h.start();
    await h.finished(1, 20_000);
    const jig = h.simulator.jig(1);
    for (let i = 1; i <= rounds; i++) {
      const slot = 1 + i; // slots 2..7, one new hub each round
      let armed = false;
      const onCommand = (command: { name: string }): void => {
        if (!armed || command.name !== 'STATUS') return;
        armed = false;
        // After the reply is on the line, in the same turn: the PRESENT follows it at once.
        queueMicrotask(() => jig.insert(slot, stock[i]!));
      };
      jig.on('command', onCommand);
      jig.reboot(20);
      armed = true;
      await waitFor(`hub ${i + 1} to finish`, () => h.results.filter((r) => r.result.identity?.deviceId === stock[i]!.deviceId).length > 0, {
        timeoutMs: 20_000,
      });
      jig.off('command', onCommand);
    }
    // Give an invented swap time to show (the reconciliation runs every 20 ms).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await waitFor('no session left', () => h.bench.activeSessions === 0);
    const of = (deviceId: string) =>
      h.results.filter((r) => r.result.identity?.deviceId === deviceId).map((r) => `${r.result.result}${r.result.error ? ` ${r.result.error.code}` : ''}`);
    for (const spec of stock.slice(1)) {
      expect(of(spec.deviceId)).toEqual(['REFLASHED']);
      expect(h.store.getHub(spec.deviceId)!.attempts).toHaveLength(1);
      expect(h.simulator.truth().find((t) => t.deviceId === spec.deviceId)).toMatchObject({ flashCount: 1 });
    }
  }, 120_000);
});
