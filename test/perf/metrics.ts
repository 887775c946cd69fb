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

/** The main thread's event-loop delay and the process's peak RSS while a scenario runs. */
export class LoadProbe {
  readonly #lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
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

  stop(): { lagP99Ms: number; lagMaxMs: number; peakRssMb: number } {
    this.#lag.disable();
    clearInterval(this.#timer);
    return { lagP99Ms: this.#lag.percentile(99) / 1e6, lagMaxMs: this.#lag.max / 1e6, peakRssMb: this.peakRssBytes / 1_048_576 };
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
