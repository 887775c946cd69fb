import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { LAG_NOTE, metric, percentile, type Metric } from '../metrics.js';
import { randomBody } from '../perf-catalog.js';
import type { PerfDaemon } from '../perf-daemon.js';
import type { SimProcess } from '../sim-protocol.js';
import { WindowProfiler } from '../window-profiler.js';
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
 * through one daemon at 115,200 baud, while a client process polls `GET /api/v1/slots` over real
 * HTTP on 127.0.0.1. Worst-slot efficiency, main-thread lag p99 and peak RSS while every slot
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
    during: async (sim, daemon) => {
      api = await pollSlots(sim, daemon, slots);
    },
  });
  try {
    const ok = run.results.filter((r) => r.result.result === 'REFLASHED' && r.result.transfer);
    const eff = ok.map(({ result: { transfer: t } }) => t!.imageBytes / ((t!.elapsedMs / 1000) * lineBytesPerSecond(SCALE_BAUD)));
    const times = api.whileFull.length > 0 ? api.whileFull : api.all;
    const window = api.whileFull.length > 0 ? `while all ${slots} slots transferred` : `while transfers ran (never all ${slots} at once)`;
    const scenario = `scale-${o.jigs}x8`;
    const failed = new Map<string, number>();
    for (const r of run.results.filter((x) => x.result.result !== 'REFLASHED')) {
      const code = `${r.result.error?.phase ?? '?'}:${r.result.error?.code ?? r.result.result}`;
      failed.set(code, (failed.get(code) ?? 0) + 1);
    }
    const failures = failed.size === 0 ? '' : `; failed: ${[...failed].map(([code, n]) => `${n} ${code}`).join(', ')}`;
    const cpu =
      api.daemonCores === undefined ? '' : `; meanwhile the daemon used ${api.daemonCores.toFixed(2)} cores, the simulator ${api.simCores!.toFixed(2)}`;
    return [
      metric(
        scenario,
        'worst-slot-efficiency',
        Math.min(...eff),
        'ratio',
        SCALE_EFFICIENCY_TARGET,
        `${ok.length}/${slots} slots re-flashed at ${SCALE_BAUD} baud${failures}; mean ${mean(eff).toFixed(3)}; target ≥ ${SCALE_EFFICIENCY_TARGET}${cpu}`,
      ),
      metric(
        scenario,
        'event-loop-lag-p99-ms',
        run.load.lagP99Ms,
        'ms',
        SCALE_LAG_P99_TARGET_MS,
        `main thread, ${run.load.concurrent} transfers at once; max ${run.load.lagMaxMs.toFixed(1)} ms; ${LAG_NOTE(run.load.rawP99Ms)}; target < ${SCALE_LAG_P99_TARGET_MS}`,
      ),
      metric(
        scenario,
        'rss-mb',
        run.load.peakRssMb,
        'MB',
        SCALE_RSS_TARGET_MB,
        `peak RSS of the daemon, ${run.load.concurrent} transfers at once; target ≤ ${SCALE_RSS_TARGET_MB}`,
      ),
      metric(
        scenario,
        'api-slots-p99-ms',
        percentile(times, 0.99),
        'ms',
        SCALE_API_P99_TARGET_MS,
        `GET /api/v1/slots over HTTP on 127.0.0.1 from another process, one request every ${POLL_INTERVAL_MS} ms, ${times.length} answers ${window}; max ${Math.max(...times).toFixed(1)} ms`,
      ),
    ];
  } finally {
    run.catalog.remove();
  }
}

interface ApiTimes {
  all: number[];
  whileFull: number[];
  /** Cores' worth of CPU the daemon (all threads) and the simulator used while every slot transferred. */
  daemonCores?: number;
  simCores?: number;
}

/** Every dashboard polling once a second would be ten clients at 10 requests/s: one request every 100 ms. */
const POLL_INTERVAL_MS = 100;

/**
 * A client process polls `GET /api/v1/slots` from the first transfer until no slot is
 * transferring; its answers are split by whether every slot was transferring when they were asked.
 */
async function pollSlots(sim: SimProcess, daemon: PerfDaemon, slots: number): Promise<ApiTimes> {
  const base = await daemon.listenApi();
  const transferring = (): number => daemon.bench.slots().filter((v) => v.phase === 'TRANSFERRING').length;
  while (transferring() === 0) await sleep(20);
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const child = fork(fileURLToPath(new URL(`../api-poller${ext}`, import.meta.url)), [`${base}/api/v1/slots`, String(POLL_INTERVAL_MS), String(slots)], {
    execArgv: ext === '.ts' ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reply = new Promise<{ samples?: Array<{ at: number; ms: number }>; error?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { samples?: Array<{ at: number; ms: number }>; error?: string }));
    child.once('exit', (code) => reject(new Error(`the API poller exited (${code}) before it answered`)));
  });
  // When every slot was transferring: [from, to) in Date.now() time, as the poller stamps its requests.
  let from: number | undefined;
  let to: number | undefined;
  // FLASHD_PERF_PROFILE=<file>: the main thread's CPU profile over the window every slot transfers.
  const profiler = new WindowProfiler();
  let cpu: { at: number; daemon: NodeJS.CpuUsage; sim: number } | undefined;
  let cores: { daemonCores: number; simCores: number } | undefined;
  for (let busy = transferring(); busy > 0; busy = transferring()) {
    if (busy === slots && from === undefined) {
      from = Date.now();
      profiler.start();
      cpu = { at: performance.now(), daemon: process.cpuUsage(), sim: await sim.cpuMicros() };
    }
    if (busy < slots && cpu && to === undefined) {
      to = Date.now();
      const used = process.cpuUsage(cpu.daemon);
      const micros = (performance.now() - cpu.at) * 1000;
      cores = { daemonCores: (used.user + used.system) / micros, simCores: ((await sim.cpuMicros()) - cpu.sim) / micros };
      await profiler.stop();
    }
    await sleep(20);
  }
  if (to === undefined) await profiler.stop();
  child.send('stop');
  const answer = await reply;
  if (answer.error || !answer.samples) throw new Error(answer.error ?? 'the API poller sent no samples');
  const all = answer.samples.map((s) => s.ms);
  const whileFull = from === undefined ? [] : answer.samples.filter((s) => s.at >= from && s.at < (to ?? Number.POSITIVE_INFINITY)).map((s) => s.ms);
  return { all, whileFull, ...cores };
}
