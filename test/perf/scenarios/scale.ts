import { setTimeout as sleep } from 'node:timers/promises';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { metric, type Metric } from '../metrics.js';
import { randomBody } from '../perf-catalog.js';
import type { PerfDaemon } from '../perf-daemon.js';
import { FAST_FLASH_PROFILE, LINK_LATENCY_MS, mean } from './link-incompressible.js';
import { lineBytesPerSecond, runLinkScenario } from './link-run.js';

/** Every slot stays at the rate it starts at: 512 lines at 921,600 would ask 47 MB/s of one simulator process on two cores. */
export const SCALE_BAUD = 115_200;
export const SCALE_EFFICIENCY_TARGET = 0.9;
export const SCALE_LAG_P99_TARGET_MS = 50;
export const SCALE_RSS_TARGET_MB = 1024;
export const SCALE_API_P99_TARGET_MS = 50;
/** Image size: a transfer of ≈ 45 s at 115,200 baud, long enough for all slots to be transferring at once. */
const SCALE_IMAGE_BYTES = 512 * 1024;

/**
 * `jigs` × 8 slots (64 × 8 = 512 in the full run) transferring incompressible images at once
 * through one daemon at 115,200 baud, while a client polls `GET /api/v1/slots` over real HTTP on
 * 127.0.0.1. Worst-slot efficiency, main-thread lag p99 and peak RSS while every slot
 * transfers, and the API's p99 answer time over the same window.
 */
export async function scale(o: { jigs: number }): Promise<Metric[]> {
  const slots = o.jigs * 8;
  const bodies = new Map(DEVICE_MODELS.map((m) => [m, randomBody().subarray(0, SCALE_IMAGE_BYTES)]));
  let api: ApiTimes = { all: [], whileFull: [] };
  const run = await runLinkScenario({
    bodies,
    jigs: o.jigs,
    timing: { paced: true, baudRate: SCALE_BAUD, latencyMs: LINK_LATENCY_MS },
    profile: { ...FAST_FLASH_PROFILE, maxBaudRate: SCALE_BAUD },
    // No rate switch; enough worker capacity for one session per slot.
    config: { sessions: { maxThreads: Math.max(2, Math.ceil(slots / 64)), concurrentTasksPerThread: 64, baud: { rates: [] } } },
    during: async (_sim, daemon) => {
      api = await pollSlots(daemon, slots);
    },
  });
  try {
    const ok = run.results.filter((r) => r.result.result === 'REFLASHED' && r.result.transfer);
    const eff = ok.map(({ result: { transfer: t } }) => t!.imageBytes / ((t!.elapsedMs / 1000) * lineBytesPerSecond(SCALE_BAUD)));
    const times = api.whileFull.length > 0 ? api.whileFull : api.all;
    const window = api.whileFull.length > 0 ? `while all ${slots} slots transferred` : `while transfers ran (never all ${slots} at once)`;
    const scenario = `scale-${o.jigs}x8`;
    return [
      metric(scenario, 'worst-slot-efficiency', Math.min(...eff), 'ratio', SCALE_EFFICIENCY_TARGET, `${ok.length}/${slots} slots re-flashed at ${SCALE_BAUD} baud; mean ${mean(eff).toFixed(3)}; target ≥ ${SCALE_EFFICIENCY_TARGET}`),
      metric(scenario, 'event-loop-lag-p99-ms', run.load.lagP99Ms, 'ms', SCALE_LAG_P99_TARGET_MS, `main thread, ${run.load.concurrent} transfers at once; max ${run.load.lagMaxMs.toFixed(1)} ms; target < ${SCALE_LAG_P99_TARGET_MS}`),
      metric(scenario, 'rss-mb', run.load.peakRssMb, 'MB', SCALE_RSS_TARGET_MB, `peak RSS of the daemon, ${run.load.concurrent} transfers at once; target ≤ ${SCALE_RSS_TARGET_MB}`),
      metric(scenario, 'api-slots-p99-ms', percentile(times, 0.99), 'ms', SCALE_API_P99_TARGET_MS, `GET /api/v1/slots over HTTP on 127.0.0.1, ${times.length} requests ${window}; max ${Math.max(...times).toFixed(1)} ms`),
    ];
  } finally {
    run.catalog.remove();
  }
}

interface ApiTimes {
  all: number[];
  whileFull: number[];
}

/** One request at a time, 10 ms apart, from the first transfer until no slot is transferring. */
async function pollSlots(daemon: PerfDaemon, slots: number): Promise<ApiTimes> {
  const base = await daemon.listenApi();
  const transferring = (): number => daemon.bench.slots().filter((v) => v.phase === 'TRANSFERRING').length;
  const times: ApiTimes = { all: [], whileFull: [] };
  while (transferring() === 0) await sleep(20);
  for (let busy = transferring(); busy > 0; busy = transferring()) {
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/slots`);
    const body = (await response.json()) as { items?: unknown[] };
    const ms = performance.now() - started;
    const count = Array.isArray(body.items) ? body.items.length : 0;
    if (!response.ok || count !== slots) throw new Error(`GET /api/v1/slots answered ${response.status} with ${count} slots, expected ${slots}`);
    times.all.push(ms);
    if (busy === slots && transferring() === slots) times.whileFull.push(ms);
    await sleep(10);
  }
  return times;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
