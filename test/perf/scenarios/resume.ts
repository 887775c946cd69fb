import { setTimeout as sleep } from 'node:timers/promises';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { metric, type Metric } from '../metrics.js';
import { randomBody } from '../perf-catalog.js';
import { FAST_FLASH_PROFILE, LINK_LATENCY_MS } from './link-incompressible.js';
import { runLinkScenario } from './link-run.js';

/**
 * One jig of eight hubs takes 1 MiB each at 921,600 baud; at half way the jig's link drops (every
 * line's TCP connection, as a ser2net restart does). The bench reconnects and starts new sessions,
 * which resume from what each hub holds. Re-sent = image bytes sent over both attempts beyond the
 * image itself; the bound is one window plus one block.
 */
export async function resume(): Promise<Metric[]> {
  const bodies = new Map(DEVICE_MODELS.map((m) => [m, randomBody()]));
  const run = await runLinkScenario({
    bodies,
    jigs: 1,
    timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
    profile: FAST_FLASH_PROFILE,
    sessions: 16,
    during: async (sim) => {
      for (;;) {
        const truth = await sim.truth();
        const slot = truth.find((t) => t.slot === 1)!;
        if (slot.sizeBytes > 0 && slot.committedBytes >= slot.sizeBytes / 2) break;
        await sleep(20);
      }
      await sim.drop('JIG-1');
    },
  });
  try {
    const bySlot = new Map<number, typeof run.results>();
    for (const r of run.results) bySlot.set(r.slot, [...(bySlot.get(r.slot) ?? []), r]);
    const resent: number[] = [];
    let limit = 0;
    let resumedFrom = 0;
    for (const attempts of bySlot.values()) {
      const done = attempts.find((a) => a.result.result === 'REFLASHED');
      const t = done?.result.transfer;
      if (!t) continue;
      const sent = attempts.reduce((sum, a) => sum + (a.result.transfer?.sentBytes ?? 0), 0);
      resent.push(sent - t.imageBytes);
      limit = t.blockBytes * (t.window + 1);
      resumedFrom = Math.max(resumedFrom, t.resumedFromBytes);
    }
    const worst = Math.max(...resent);
    return [
      metric(
        'resume',
        'resent-bytes',
        worst,
        'B',
        limit,
        `worst of ${resent.length} slots cut at ≈50% (resumed from up to ${resumedFrom} B); limit = one window + one block`,
      ),
    ];
  } finally {
    run.catalog.remove();
  }
}
