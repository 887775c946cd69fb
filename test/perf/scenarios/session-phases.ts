import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { deviceProfileFor, generateStock, type HubSpec } from '../../../jig-sim/index.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import type { BenchEvents } from '../../../src/bench/bench.js';
import { metric, type Metric } from '../metrics.js';
import { PerfDaemon } from '../perf-daemon.js';
import { SimProcess } from '../sim-protocol.js';
import { LINK_LATENCY_MS } from './link-incompressible.js';

export const SESSION_PHASES_TARGET = 0.95;
const MIB = 1024 * 1024;

type Finished = BenchEvents['finished'][0];

/**
 * Issue 14 item 3: one hub of every Device Model, each on its own paced line of one jig (starting
 * at 115,200 baud with the USB adapters' latency, switching to the model's fastest rate), flashed
 * with that model's catalogue image (236–282 KB) by the real daemon; the second hub of each model
 * is the one measured (the first prepares the image's blocks, as the first hub of a shift does). Per model it reports the
 * phases and how close the span from the first DATA frame to the start of the read-back comes to
 * its physical limit: the longer of the image's bytes on the wire at the negotiated rate and the
 * hub's flash erase and program time, plus the hub's own SHA-256 over the image (device time the
 * daemon cannot cut); measured = transfer (first DATA to last acknowledgement) + verify + activate. What is left is the daemon's: round trips, the
 * durable commits before ACTIVATE, the wait for the last acknowledgement.
 */
export async function sessionPhases(): Promise<Metric[]> {
  const [first, second] = pickTwoPerModel();
  const sim = new SimProcess();
  const jigs = await sim.start({
    jigs: 1,
    profile: {},
    byModel: true,
    stock: first,
    timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
  });
  const daemon = new PerfDaemon({
    catalogDir: join(PACKAGE_ROOT, 'firmware-images'),
    trustedKeyFile: join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem'),
    jigs,
    stock: [...first, ...second],
  });
  // The first hub of a model pays for preparing its image's blocks; the second, measured, finds them ready.
  const cold = new Map<number, Finished>();
  const warm = new Map<number, Finished>();
  const swaps: Array<Promise<void>> = [];
  try {
    await daemon.start((event) => {
      if (!cold.has(event.slot)) {
        cold.set(event.slot, event);
        swaps.push(sim.swap(event.jig, event.slot, second[event.slot - 1]!));
      } else warm.set(event.slot, event);
    });
    const deadline = performance.now() + 180_000;
    while (warm.size < first.length) {
      if (performance.now() > deadline) throw new Error(`session-phases: ${warm.size} of ${first.length} measured sessions finished in 180 s`);
      await sleep(50);
    }
    await Promise.all(swaps);
  } finally {
    await daemon.stop();
    await sim.close();
  }
  return second.map((spec, i) => {
    const event = warm.get(i + 1);
    if (!event || event.result.result !== 'REFLASHED' || !event.result.transfer) {
      throw new Error(`session-phases: model ${spec.model} ended ${event?.result.result ?? 'without a result'} ${event?.result.error?.code ?? ''}`);
    }
    return phaseRow(spec, event, cold.get(i + 1)?.result.timings.identify);
  });
}

/** Two hubs of each Device Model from a generated stock, in model order (slot n = model n). */
function pickTwoPerModel(): [HubSpec[], HubSpec[]] {
  const pool = generateStock({ seed: 'perf-phases', count: 300 });
  const pairs = DEVICE_MODELS.map((m) => {
    const of = pool.filter((s) => s.model === m.model);
    if (of.length < 2) throw new Error(`session-phases: fewer than two hubs of model ${m.model} in the stock`);
    return [of[0]!, of[1]!] as const;
  });
  return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
}

function phaseRow(spec: HubSpec, event: Finished, coldIdentifyMs: number | undefined): Metric {
  const { timings, transfer } = event.result;
  const t = transfer!;
  const profile = deviceProfileFor(spec.model);
  const lineMs = (t.wireBytes / (t.baudRate / 10)) * 1000;
  // The hub erases and programs as blocks arrive; a slow part (Toshiba's 45 ms sector erase) is
  // slower than a 921,600-baud line, and then the flash is the limit, not the line.
  const flashMs = Math.ceil(t.imageBytes / profile.sectorBytes) * profile.eraseMsPerSector + (t.imageBytes / profile.writeBytesPerSecond) * 1000;
  const hashMs = (profile.hashMsPerMiB * t.imageBytes) / MIB;
  const verifyMs = timings.verify ?? 0;
  const activateMs = timings.activate ?? 0;
  const measuredMs = t.elapsedMs + verifyMs + activateMs;
  const limitMs = Math.max(lineMs, flashMs) + hashMs;
  const preDataMs = (timings.transfer ?? 0) - t.elapsedMs;
  const fixed = [
    `identify ${timings.identify ?? 0} (first hub of the model, blocks not yet prepared: ${coldIdentifyMs ?? '?'})`,
    `unlock+rate ${timings.unlock ?? 0}`,
    `before 1st DATA ${preDataMs}`,
    `transfer ${t.elapsedMs} (line ${lineMs.toFixed(0)}, flash ${flashMs.toFixed(0)})`,
    `verify ${verifyMs} (hub hash ${hashMs.toFixed(0)})`,
    `activate ${activateMs}`,
    `reboot+read-back ${timings.readBack ?? 0}`,
  ].join(', ');
  return metric(
    'session-phases',
    `${spec.model}-first-data-to-readback`,
    limitMs / measuredMs,
    'ratio',
    1,
    `${t.imageBytes} B at ${t.baudRate} baud, ${t.blockBytes} B blocks × ${t.window}; ms: ${fixed}; target ≥ ${SESSION_PHASES_TARGET}`,
  );
}
