import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INSTANT_HUB_PROFILE, generateStock } from '../../../jig-sim/index.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { LAG_NOTE, LoadProbe, metric, type Metric } from '../metrics.js';
import { PerfDaemon } from '../perf-daemon.js';
import { SimProcess } from '../sim-protocol.js';
import { BatchFailureReader } from '../../../src/store/batch-failures.js';
import { ShiftFigureReader } from '../../../src/store/shift-figures.js';
import { WindowProfiler } from '../window-profiler.js';
import { startOfLocalDay } from '../../../src/domain/shift-day.js';

export interface PipelineOptions {
  jigs: number;
  durationMs: number;
  /** Hubs of past the store holds before the run (test/perf/aged-store.ts); 0: a new store. */
  agedHubs?: number;
  /**
   * The back-office's year-long exports through the API meanwhile, one every this many ms in turn
   * (`EXPORTS`); their time is `exportMs`. Default: none.
   */
  exportsEveryMs?: number;
}

/** A year's exports as the back-office asks for them: all charges, and failures by batch since a year ago. */
export const EXPORTS = {
  charges: '/api/v1/charges?format=csv',
  batches: `/api/v1/batches?since=${encodeURIComponent(new Date(Date.now() - 366 * 86_400_000).toISOString())}`,
} as const;
export type ExportName = keyof typeof EXPORTS;

export const SESSIONS_PER_SECOND_TARGET = 100;
export const LAG_P99_TARGET_MS = 20;
export const RSS_TARGET_MB = 250;

export type DashboardRead = 'outboxFigures' | 'shiftFigures' | 'batchFailures';

/** What one pipeline run measured over its window. */
export interface PipelineFigures {
  slots: number;
  sessions: number;
  sessionsPerSecond: number;
  /** Sessions that ended otherwise in the window, and every failure code of the run. */
  failedInWindow: number;
  failures: Map<string, number>;
  cpuMsPerSession: number;
  simCpuMsPerSession: number;
  lagP99Ms: number;
  rawLagP99Ms: number;
  lagMaxMs: number;
  peakRssMb: number;
  /** Each read an open dashboard makes after results, timed once a second in the window (ms, in order). */
  readMs: Record<DashboardRead, number[]>;
  /** Each export's time from request to full answer, when {@link PipelineOptions.exportsEveryMs} asked for them (ms, in order). */
  exportMs: Record<ExportName, number[]>;
}

/**
 * Link and device cost nothing (unpaced lines, a hub whose flash, hash and reboot take no time):
 * what is left is flashd's own pipeline per hub: worker session, protocol round trips, shared
 * blocks, SQLite commits, events. Every slot gets a new hub as soon as its last one finished, so
 * all slots stay busy; the rate is counted after the first round. Once a second in the window the
 * reads of an open dashboard run as its refresh after a result would (outbox figures, shift
 * figures, batch failures), on the daemon's main thread.
 */
export async function measurePipeline(o: PipelineOptions): Promise<PipelineFigures> {
  const slots = o.jigs * 8;
  const stock = generateStock({ seed: 'perf-pipeline', count: slots + Math.ceil((o.durationMs / 1000) * 400) });
  const queue = stock.slice(slots);
  const sim = new SimProcess();
  // Flash sized to the demo images (≤ 320 KiB): a 2 MiB part would cost the simulator a 2 MiB fill per hub.
  const profile = { ...INSTANT_HUB_PROFILE, maxWindow: 16, selectiveResend: true, flashBytes: 512 * 1024 };
  const jigs = await sim.start({ jigs: o.jigs, profile, stock: stock.slice(0, slots) });
  const daemon = new PerfDaemon({
    catalogDir: join(PACKAGE_ROOT, 'firmware-images'),
    trustedKeyFile: join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem'),
    jigs,
    stock,
    agedHubs: o.agedHubs,
  });
  let reflashed = 0;
  let failed = 0;
  const failures = new Map<string, number>();
  let stopping = false;
  const probe = new LoadProbe();
  const profiler = new WindowProfiler();
  try {
    await daemon.start((event) => {
      if (event.result.result === 'REFLASHED') reflashed++;
      else {
        failed++;
        const code = event.result.error?.code ?? event.result.result;
        failures.set(code, (failures.get(code) ?? 0) + 1);
      }
      // A session our own swap cut short already has its successor seated: swapping again would cut that one too.
      if (event.result.error?.code === 'HUB_REMOVED') return;
      const next = queue.shift();
      if (next && !stopping) sim.swap(event.jig, event.slot, next).catch(() => undefined);
    });
    while (reflashed + failed < slots) await sleep(20);
    const shift = new ShiftFigureReader(daemon.db);
    const batches = new BatchFailureReader(daemon.db);
    const readMs: Record<DashboardRead, number[]> = { outboxFigures: [], shiftFigures: [], batchFailures: [] };
    const timed = (key: DashboardRead, read: () => unknown): void => {
      const started = performance.now();
      read();
      readMs[key].push(performance.now() - started);
    };
    const dashboard = setInterval(() => {
      timed('outboxFigures', () => daemon.stores.outbox.summary());
      timed('shiftFigures', () => shift.read());
      timed('batchFailures', () => batches.read(startOfLocalDay(), 6));
    }, 1000);
    const exportMs: Record<ExportName, number[]> = { charges: [], batches: [] };
    // The daemon's API compiles its routes' schemas once, at listen; the benchmark's does not listen.
    if (o.exportsEveryMs) await daemon.daemon.app.ready();
    const exports = o.exportsEveryMs ? exportInTurn(daemon, exportMs, o.exportsEveryMs) : undefined;
    probe.reset();
    profiler.start();
    const from = { at: performance.now(), reflashed, failed, cpu: process.cpuUsage(), simCpu: await sim.cpuMicros() };
    await sleep(o.durationMs);
    clearInterval(dashboard);
    await exports?.stop();
    const elapsedS = (performance.now() - from.at) / 1000;
    const cpu = process.cpuUsage(from.cpu);
    const simCpuMs = ((await sim.cpuMicros()) - from.simCpu) / 1000;
    const load = probe.stop();
    await profiler.stop();
    const sessions = reflashed - from.reflashed;
    return {
      slots,
      sessions,
      sessionsPerSecond: sessions / elapsedS,
      failedInWindow: failed - from.failed,
      // A copy: stopping the daemon below interrupts the sessions still running, which are not the window's.
      failures: new Map(failures),
      // All the daemon's threads together: what one session costs in CPU.
      cpuMsPerSession: (cpu.user + cpu.system) / 1000 / sessions,
      simCpuMsPerSession: simCpuMs / sessions,
      lagP99Ms: load.lagP99Ms,
      rawLagP99Ms: load.rawP99Ms,
      lagMaxMs: load.lagMaxMs,
      peakRssMb: load.peakRssMb,
      readMs,
      exportMs,
    };
  } finally {
    stopping = true;
    await daemon.stop();
    await sim.close();
  }
}

export async function pipelineOverhead(o: PipelineOptions): Promise<Metric[]> {
  const f = await measurePipeline(o);
  const cores = availableParallelism();
  return [
    metric(
      'pipeline-overhead',
      'daemon-cpu-ms-per-session',
      f.cpuMsPerSession,
      'ms',
      1000 / SESSIONS_PER_SECOND_TARGET,
      `CPU of all daemon threads per session; simulator used ${f.simCpuMsPerSession.toFixed(1)} ms more`,
    ),
    metric(
      'pipeline-overhead',
      'sessions-per-second-cpu-bound',
      (cores * 1000) / f.cpuMsPerSession,
      'sessions/s',
      SESSIONS_PER_SECOND_TARGET,
      `${cores} cores at that cost, no simulator or other load`,
    ),
    metric(
      'pipeline-overhead',
      'sessions-per-second',
      f.sessionsPerSecond,
      'sessions/s',
      SESSIONS_PER_SECOND_TARGET,
      `target ≥ ${SESSIONS_PER_SECOND_TARGET}; ${f.failedInWindow} failed in the window${f.failures.size > 0 ? ` (all run: ${[...f.failures].map(([c, n]) => `${c} ×${n}`).join(', ')})` : ''}`,
    ),
    metric(
      'pipeline-overhead',
      'event-loop-lag-p99-ms',
      f.lagP99Ms,
      'ms',
      LAG_P99_TARGET_MS,
      `main thread, ${f.slots} slots busy; max ${f.lagMaxMs.toFixed(1)} ms; ${LAG_NOTE(f.rawLagP99Ms)}`,
    ),
    metric('memory', 'rss-mb-pipeline', f.peakRssMb, 'MB', RSS_TARGET_MB, `peak RSS, ${f.slots} sessions active (pipeline-overhead)`),
  ];
}

/** Asks for the exports in turn, one every `everyMs`, each through the daemon's API as a client would; `stop` waits for the one running. */
function exportInTurn(daemon: PerfDaemon, into: Record<ExportName, number[]>, everyMs: number): { stop(): Promise<void> } {
  const names = Object.keys(EXPORTS) as ExportName[];
  let n = 0;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    const name = names[n++ % names.length]!;
    const started = performance.now();
    running = daemon.daemon.app.inject({ method: 'GET', url: EXPORTS[name] }).then((reply) => {
      if (reply.statusCode !== 200) throw new Error(`${EXPORTS[name]} answered ${reply.statusCode}: ${reply.body.slice(0, 200)}`);
      into[name].push(performance.now() - started);
      running = undefined;
    });
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
