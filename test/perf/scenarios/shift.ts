import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Prng, generateStock } from '../../../jig-sim/index.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { metric, type Metric } from '../metrics.js';
import { PerfDaemon } from '../perf-daemon.js';
import { simulateShift, type HandlingTimes } from '../shift-model.js';
import { SimProcess } from '../sim-protocol.js';
import { LINK_LATENCY_MS, mean } from './link-incompressible.js';

/** Seconds per hub; the reasoning for each is in docs/performance.md (shift model). */
export const SHIFT_HANDLING: Readonly<HandlingTimes> = Object.freeze({ unpack: 8, scan: 3, seat: 5, unseat: 4, pack: 8 });
export const SHIFT_JIGS = 3;
export const SHIFT_HOURS = 8;
/** ≈ 300,000 hubs in 12 months on one bench, one eight-hour shift a working day (250 a year). */
export const SEED_HUBS_PER_HOUR = 300_000 / (250 * SHIFT_HOURS);

/**
 * Two steps. First the real daemon flashes real-size images (the demo catalogue, 236–282 KB) to
 * hubs with their Device Model's profile (jig-sim/device-profiles.ts) on paced lines, and each
 * slot's seat-to-LED time is measured for a second hub swapped in after the first: detection,
 * identify, unlock, rate switch, transfer, verify, reboot, read-back. Then an eight-hour shift of
 * 3 jigs and one technician runs in simulated time (test/perf/shift-model.ts) on those cycles,
 * since the simulator's lines and hubs run in real time.
 */
export async function shift(o: { quick: boolean }): Promise<Metric[]> {
  const jigs = o.quick ? 1 : SHIFT_JIGS;
  const cycles = await measureCycles(jigs);
  const prng = new Prng('shift');
  const draws = cycles.map((c) => c.seconds);
  const result = simulateShift({
    slots: SHIFT_JIGS * 8,
    shiftSeconds: SHIFT_HOURS * 3600,
    handling: SHIFT_HANDLING,
    cycleSeconds: () => draws[Math.floor(prng.next() * draws.length)]!,
  });
  const handling = Object.values(SHIFT_HANDLING).reduce((a, b) => a + b, 0);
  const byModel = new Map<string, number[]>();
  for (const c of cycles) byModel.set(c.model, [...(byModel.get(c.model) ?? []), c.seconds]);
  const perModel = [...byModel].map(([model, s]) => `${model} ${mean(s).toFixed(1)} s`).join(', ');
  const measured = `${cycles.length} cycles measured on ${jigs} jig(s)`;
  return [
    metric(
      'shift',
      'hubs-per-hour',
      result.hubsPerHour,
      'hubs/h',
      SEED_HUBS_PER_HOUR,
      `${SHIFT_JIGS} jigs, one technician, ${SHIFT_HOURS} h simulated: ${result.hubs} hubs; bottleneck: ${result.bottleneck}; limit = the seed's 300,000 a year on one bench, one shift`,
    ),
    metric('shift', 'slot-idle', result.slotIdle, 'share', 1, `share of slot time not flashing (waiting for hands or empty)`),
    metric('shift', 'technician-idle', result.technicianIdle, 'share', 1, `share of the shift with nothing to do; handling ${handling} s per hub`),
    metric('shift', 'technician-bound-hubs-per-hour', result.technicianBoundPerHour, 'hubs/h', SEED_HUBS_PER_HOUR, `3600 / ${handling} s of handling per hub`),
    metric(
      'shift',
      'slot-bound-hubs-per-hour',
      result.slotBoundPerHour,
      'hubs/h',
      SEED_HUBS_PER_HOUR,
      `${SHIFT_JIGS * 8} slots × 3600 / ${result.meanCycleSeconds.toFixed(1)} s mean seat-to-LED`,
    ),
    metric(
      'shift',
      'seat-to-led-s',
      result.meanCycleSeconds,
      's',
      (SHIFT_JIGS * 8 * 3600) / SEED_HUBS_PER_HOUR,
      `mean drawn; ${measured}: ${perModel}; limit = the longest cycle that still carries the seed's rate with slots always full`,
    ),
  ];
}

/** Seat-to-LED seconds of one hub per slot, measured on a hub seated after the first round. */
async function measureCycles(jigs: number): Promise<Array<{ model: string; seconds: number }>> {
  const slots = jigs * 8;
  const stock = generateStock({ seed: 'perf-shift', count: slots * 2 });
  const queue = stock.slice(slots);
  const sim = new SimProcess();
  const jigAddresses = await sim.start({
    jigs,
    profile: {},
    byModel: true,
    stock: stock.slice(0, slots),
    timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
  });
  const daemon = new PerfDaemon({
    catalogDir: join(PACKAGE_ROOT, 'firmware-images'),
    trustedKeyFile: join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem'),
    jigs: jigAddresses,
    stock,
  });
  const seatedAt = new Map<string, { at: number; model: string }>();
  const cycles: Array<{ model: string; seconds: number }> = [];
  const failures: string[] = [];
  try {
    await daemon.start((event) => {
      const key = `${event.jig}/${event.slot}`;
      const seated = seatedAt.get(key);
      if (seated) {
        if (event.result.result === 'REFLASHED') cycles.push({ model: seated.model, seconds: (performance.now() - seated.at) / 1000 });
        else failures.push(`${key} ${event.result.error?.code ?? event.result.result}`);
        seatedAt.delete(key);
        return;
      }
      const next = queue.shift();
      if (!next) return;
      seatedAt.set(key, { at: performance.now(), model: next.model });
      sim.swap(event.jig, event.slot, next).catch((err: Error) => failures.push(`${key} swap: ${err.message}`));
    });
    while (cycles.length + failures.length < slots) await sleep(100);
  } finally {
    await daemon.stop();
    await sim.close();
  }
  if (cycles.length === 0) throw new Error(`shift: no second-round hub re-flashed (${failures.join('; ')})`);
  return cycles;
}
