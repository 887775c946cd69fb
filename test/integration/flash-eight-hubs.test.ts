import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { BenchHarness, type Transport } from '../helpers/bench-harness.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));

describe.each<Transport>(['tcp', 'in-process'])('flashing 8 simulated hubs over %s', (transport) => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('re-flashes every hub in parallel worker sessions and the hubs really run the new version', async () => {
    harness = new BenchHarness({ transport, hubs: 8, workOrder: true });
    const before = harness.simulator.truth();
    expect(before).toHaveLength(8);
    for (const hub of before) expect(hub.firmwareVersion).not.toBe(LATEST.get(hub.model));

    await harness.start();
    await harness.finished(8);

    // Ground truth: what each simulated hub runs now, not what flashd recorded.
    const truth = harness.simulator.truth();
    for (const hub of truth) {
      expect(hub.firmwareVersion, `${hub.deviceId} running`).toBe(LATEST.get(hub.model));
      expect(hub.flashCount).toBe(1);
      expect(hub.heldImage).toBeNull();
    }

    const { items } = harness.store.listHubs({ limit: 100 });
    expect(items).toHaveLength(8);
    for (const hub of items) {
      const real = truth.find((t) => t.deviceId === hub.deviceId)!;
      const was = before.find((t) => t.deviceId === hub.deviceId)!;
      expect(hub.outcome, JSON.stringify(harness.store.getHub(hub.deviceId)!.attempts)).toBe('REFLASHED');
      expect(hub.firmwareVersion).toBe(real.firmwareVersion);
      expect(hub.previousFirmwareVersion).toBe(was.firmwareVersion);
      const detail = harness.store.getHub(hub.deviceId)!;
      expect(detail.attempts).toHaveLength(1);
      const attempt = detail.attempts[0]!;
      expect(attempt.result).toBe('REFLASHED');
      expect(attempt.hubSha256).toBe(attempt.imageSha256);
      for (const phase of ['identify', 'unlock', 'transfer', 'verify', 'activate', 'readBack'] as const) {
        expect(attempt.timings[phase], phase).toBeTypeOf('number');
      }
    }

    // All eight ran at once: each started before any finished.
    const attempts = items.map((h) => harness!.store.getHub(h.deviceId)!.attempts[0]!);
    const lastStart = Math.max(...attempts.map((a) => Date.parse(a.startedAt)));
    const firstEnd = Math.min(...attempts.map((a) => Date.parse(a.finishedAt!)));
    expect(lastStart).toBeLessThan(firstEnd);
    expect(harness.pool.threads).toBeGreaterThanOrEqual(1);

    // What operations scrape says the same: eight re-flashed, at least eight images' bytes sent.
    const metrics = await (await harness.api()).inject('/metrics');
    expect(metrics.body).toMatch(/^flashd_sessions_finished_total\{result="REFLASHED"\} 8$/m);
    expect(metrics.body).toMatch(/^flashd_jig_connected\{jig="JIG-1"\} 1$/m);
    const sent = Number(/^flashd_transfer_image_bytes_total (\d+)$/m.exec(metrics.body)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(attempts.reduce((n, a) => n + (a.transfer?.['imageBytes'] ?? Number.NaN), 0));
  });
});
