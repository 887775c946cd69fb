import { LAG_NOTE, metric, percentile, type Metric } from '../metrics.js';
import { EXPORTS, LAG_P99_TARGET_MS, measurePipeline, type ExportName } from './pipeline-overhead.js';

/** A back-office export every this many ms in both runs, in turn (EXPORTS). */
const EXPORT_EVERY_MS = 2000;

export interface StoreAgeOptions {
  jigs: number;
  durationMs: number;
  /** Hubs of past in the aged store: a bench's year (128 hubs/h, 8 h, 250 days ≈ 256,000). */
  agedHubs: number;
}

/**
 * The daemon's cost must not grow with what its store holds. The pipeline run twice in a row, on
 * a new store and on one holding a year of a bench's records (test/helpers/aged-store.ts): CPU per
 * session and sessions a second against the new store's, measured in the same run; the event loop
 * against its target; and the reads an open dashboard makes after results, against the same reads
 * on the new store. In both runs the back-office asks for a year's exports through the API every
 * two seconds: their time grows with the store (the rows say how much), the event loop must not.
 */
export async function storeAge(o: StoreAgeOptions): Promise<Metric[]> {
  const fresh = await measurePipeline({ jigs: o.jigs, durationMs: o.durationMs, exportsEveryMs: EXPORT_EVERY_MS });
  const aged = await measurePipeline({ jigs: o.jigs, durationMs: o.durationMs, agedHubs: o.agedHubs, exportsEveryMs: EXPORT_EVERY_MS });
  const held = `store holding ${o.agedHubs.toLocaleString('en-GB')} hubs' records`;
  const reads = (['outboxFigures', 'shiftFigures', 'batchFailures'] as const).map((key) =>
    metric(
      'store-age',
      `read-ms-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      percentile(aged.readMs[key], 0.5),
      'ms',
      percentile(fresh.readMs[key], 0.5),
      `median of ${aged.readMs[key].length}, once a second while ${aged.slots} slots work (max ${Math.max(...aged.readMs[key]).toFixed(1)} ms); limit: the same on a new store`,
    ),
  );
  const exports = (Object.keys(EXPORTS) as ExportName[]).map((key) =>
    metric(
      'store-age',
      `export-ms-${key}`,
      percentile(aged.exportMs[key], 0.5),
      'ms',
      percentile(fresh.exportMs[key], 0.5),
      `GET ${EXPORTS[key].split('?')[0]}, a year; median of ${aged.exportMs[key].length} (max ${Math.max(...aged.exportMs[key]).toFixed(0)} ms), read in the report thread; limit: the same on a new store`,
    ),
  );
  return [
    metric(
      'store-age',
      'daemon-cpu-ms-per-session',
      aged.cpuMsPerSession,
      'ms',
      fresh.cpuMsPerSession,
      `${held}; limit: the same run on a new store (the ratio is the growth)`,
    ),
    metric('store-age', 'sessions-per-second', aged.sessionsPerSecond, 'sessions/s', fresh.sessionsPerSecond, `${held}; limit: the new store's rate`),
    metric(
      'store-age',
      'event-loop-lag-p99-ms',
      aged.lagP99Ms,
      'ms',
      LAG_P99_TARGET_MS,
      `${held}; max ${aged.lagMaxMs.toFixed(1)} ms; new store ${fresh.lagP99Ms.toFixed(1)} ms; ${LAG_NOTE(aged.rawLagP99Ms)}`,
    ),
    ...reads,
    ...exports,
  ];
}
