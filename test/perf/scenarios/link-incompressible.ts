import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { DEFAULT_HUB_PROFILE } from '../../../jig-sim/index.js';
import { LAG_NOTE, metric, type Metric } from '../metrics.js';
import { randomBody } from '../perf-catalog.js';
import { LAG_P99_TARGET_MS, RSS_TARGET_MB } from './pipeline-overhead.js';
import { lineBytesPerSecond, runLinkScenario } from './link-run.js';

export const LINK_BAUD = 921_600;
export const LINK_LATENCY_MS = 16;

/**
 * A hub whose flash is faster than a 921,600-baud line (≈ 90 KiB/s): erase 5 ms per 4 KiB sector
 * and 1 MB/s programming give ≈ 440 KiB/s, so the line is what is measured.
 */
export const FAST_FLASH_PROFILE = {
  ...DEFAULT_HUB_PROFILE,
  eraseMsPerSector: 5,
  writeBytesPerSecond: 1_000_000,
  selectiveResend: true,
  // FLASHD_PERF_WINDOW: the window the hubs advertise, for tuning runs (default 16).
  maxWindow: Number(process.env.FLASHD_PERF_WINDOW ?? 16),
};

/** 1 MiB of random (incompressible) firmware to every slot of `jigs` jigs at once, 921,600 baud, 16 ms latency. */
export async function linkIncompressible(o: { jigs: number }): Promise<Metric[]> {
  const bodies = new Map(DEVICE_MODELS.map((m) => [m, randomBody()]));
  const run = await runLinkScenario({
    bodies,
    jigs: o.jigs,
    timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
    profile: FAST_FLASH_PROFILE,
    measureLineAt: LINK_BAUD,
  });
  try {
    const ok = run.results.filter((r) => r.result.result === 'REFLASHED' && r.result.transfer);
    const efficiencies = ok.map(({ result }) => {
      const t = result.transfer!;
      return t.imageBytes / ((t.elapsedMs / 1000) * lineBytesPerSecond(LINK_BAUD));
    });
    const rates = ok.map((r) => r.result.transfer!.baudRate);
    const slots = o.jigs * 8;
    const note = `min over ${ok.length}/${slots} slots at ${Math.min(...rates)}–${Math.max(...rates)} baud; mean ${mean(efficiencies).toFixed(3)}`;
    const nominal = lineBytesPerSecond(LINK_BAUD);
    const measured = run.lineBytesPerSecond ?? nominal;
    const worstBytesPerSecond = Math.min(...efficiencies) * nominal;
    return [
      metric('link-incompressible', 'line-capacity', measured, 'B/s', nominal, `raw bytes through one paced line just before the run, vs baud/10`),
      metric(
        'link-incompressible',
        'throughput',
        worstBytesPerSecond,
        'B/s',
        measured,
        'image bytes per second of the slowest slot, vs the measured line capacity',
      ),
      metric('link-incompressible', 'efficiency', Math.min(...efficiencies), 'ratio', 1, `${note}; target ≥ 0.95`),
      metric(
        'link-incompressible',
        'event-loop-lag-p99-ms',
        run.load.lagP99Ms,
        'ms',
        LAG_P99_TARGET_MS,
        `main thread while ${run.load.concurrent} transfers ran at once; max ${run.load.lagMaxMs.toFixed(1)} ms; ${LAG_NOTE(run.load.rawP99Ms)}`,
      ),
      metric(
        'memory',
        'rss-mb',
        run.load.peakRssMb,
        'MB',
        RSS_TARGET_MB,
        `peak RSS of the daemon with ${run.load.concurrent} sessions transferring 1 MiB images`,
      ),
    ];
  } finally {
    run.catalog.remove();
  }
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
