import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** One line of the benchmark's output (`npm run bench -- --json` prints an array of these). */
export interface Metric {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  /** The physical limit (or, where there is none, the target) the value is compared with. */
  limit: number;
  /** value / limit. */
  ratio: number;
  /** What the limit is and what the target asks, for the table. */
  note?: string;
}

export function metric(scenario: string, name: string, value: number, unit: string, limit: number, note?: string): Metric {
  const round = (n: number, digits: number): number => Number(n.toFixed(digits));
  return {
    scenario,
    metric: name,
    value: round(value, 4),
    unit,
    limit: round(limit, 4),
    ratio: round(limit === 0 ? 0 : value / limit, 4),
    ...(note ? { note } : {}),
  };
}

/** The nearest-rank percentile `p` (0–1) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** Period of the timer that samples the event loop (monitorEventLoopDelay's default). */
export const LAG_PROBE_PERIOD_MS = 10;

/** What a lag figure is, for a metric's note. */
export const LAG_NOTE = (rawP99Ms: number): string => `delay beyond the probe's ${LAG_PROBE_PERIOD_MS} ms timer (raw p99 ${rawP99Ms.toFixed(1)} ms)`;

/**
 * The main thread's event-loop delay and the process's peak RSS while a scenario runs. The delay is
 * how late the probe's timer fired: monitorEventLoopDelay records the whole interval between two
 * firings, period included (an idle loop reads 10.2–10.3 ms at p99), so the period is taken off,
 * as @fastify/under-pressure does. `rawP99Ms` keeps the histogram's own figure.
 */
export class LoadProbe {
  readonly #lag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_PROBE_PERIOD_MS });
  readonly #timer: NodeJS.Timeout;
  peakRssBytes = 0;

  constructor() {
    this.#lag.enable();
    this.#timer = setInterval(() => (this.peakRssBytes = Math.max(this.peakRssBytes, process.memoryUsage.rss())), 100);
  }

  /** Forget what was seen so far (the warm-up). */
  reset(): void {
    this.#lag.reset();
    this.peakRssBytes = process.memoryUsage.rss();
  }

  stop(): { lagP99Ms: number; lagMaxMs: number; rawP99Ms: number; peakRssMb: number } {
    this.#lag.disable();
    clearInterval(this.#timer);
    const rawP99Ms = this.#lag.percentile(99) / 1e6;
    return {
      lagP99Ms: Math.max(0, rawP99Ms - LAG_PROBE_PERIOD_MS),
      lagMaxMs: Math.max(0, this.#lag.max / 1e6 - LAG_PROBE_PERIOD_MS),
      rawP99Ms,
      peakRssMb: this.peakRssBytes / 1_048_576,
    };
  }
}

export function formatTable(metrics: readonly Metric[]): string {
  const rows = [
    ['scenario', 'metric', 'value', 'unit', 'limit', 'ratio', 'note'],
    ...metrics.map((m) => [m.scenario, m.metric, String(m.value), m.unit, String(m.limit), m.ratio.toFixed(3), m.note ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 2 || i === 4 || i === 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
