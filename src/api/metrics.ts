import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bench } from '../bench/bench.js';
import type { SlotSessionEnd } from '../bench/slot-session.js';
import { ATTEMPT_RESULTS, PHASES, TIMED_PHASES } from '../domain/outcomes.js';
import type { OutboxStore } from '../store/outbox-store.js';
import { outboxFigures } from '../upstream/outbox-figures.js';
import { registerGuardMetrics, type GuardMetricsSource } from './guard-metrics.js';

export interface MetricsSources {
  bench: Pick<Bench, 'slots' | 'activeSessions' | 'jigs'>;
  outbox: Pick<OutboxStore, 'summary'>;
  /** `upstream.mode`: the outbox figures are exported only when N3 reporting runs. */
  n3Enabled: boolean;
  now?: () => number;
  /** Node's process metrics (default on). They start observers that live as long as the process. */
  processMetrics?: boolean;
  /** The quality guards: their state at scrape time, their actions and holds as they happen. */
  guards?: GuardMetricsSource | undefined;
}

/** Seconds: a phase takes from a few ms (instant simulator) to minutes (a 2 MiB image at 115,200). */
const PHASE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * What operations scrape at `GET /metrics` (Prometheus text format): the bench's slots and jigs and
 * the outbox read at scrape time; sessions, phase times and link health counted as sessions end;
 * and Node's process metrics. One registry per instance, so tests build as many as they like.
 */
export class FlashdMetrics {
  readonly registry = new Registry();
  readonly #finished: Counter<'result'>;
  readonly #phaseSeconds: Histogram<'phase'>;
  readonly #transfer: Record<'imageBytes' | 'wireBytes' | 'blocksResent' | 'timeouts' | 'crcErrors' | 'stepDowns', Counter>;
  readonly #errors: Counter<'code'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const now = sources.now ?? Date.now;
    if (sources.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'flashd_sessions_active',
      help: 'Hub sessions running now',
      registers,
      collect() {
        this.set(sources.bench.activeSessions);
      },
    });
    new Gauge({
      name: 'flashd_slots',
      help: 'Slots by the phase they show (EMPTY: no hub; DONE: finished, hub not yet taken out)',
      labelNames: ['phase'],
      registers,
      collect() {
        const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
        for (const view of sources.bench.slots()) counts.set(view.phase, (counts.get(view.phase) ?? 0) + 1);
        for (const [phase, n] of counts) this.set({ phase }, n);
      },
    });
    new Gauge({
      name: 'flashd_jig_connected',
      help: '1 while the jig control port is connected, else 0',
      labelNames: ['jig'],
      registers,
      collect() {
        for (const jig of sources.bench.jigs()) this.set({ jig: jig.id }, jig.connected ? 1 : 0);
      },
    });
    if (sources.n3Enabled) {
      // One read of the outbox per scrape sets both gauges, so they never disagree; the age gauge
      // is registered after the rows gauge, so it is read once the rows gauge has collected.
      const oldestAge = new Gauge({
        name: 'flashd_n3_outbox_oldest_pending_age_seconds',
        help: 'Age of the oldest undelivered N3 notification; 0 when none is pending',
        registers: [],
      });
      new Gauge({
        name: 'flashd_n3_outbox_rows',
        help: 'N3 outbox rows by state (blocked: pending behind a dead letter of the same hub)',
        labelNames: ['state'],
        registers,
        collect() {
          const f = outboxFigures(sources.outbox, now());
          this.set({ state: 'pending' }, f.pending);
          this.set({ state: 'blocked' }, f.blocked);
          this.set({ state: 'dead' }, f.dead);
          this.set({ state: 'delivered' }, f.delivered);
          oldestAge.set(f.oldestPendingAgeSeconds ?? 0);
        },
      });
      this.registry.registerMetric(oldestAge);
    }

    this.#finished = new Counter({ name: 'flashd_sessions_finished_total', help: 'Hub sessions finished, by result', labelNames: ['result'], registers });
    for (const result of ATTEMPT_RESULTS) this.#finished.inc({ result }, 0);
    this.#errors = new Counter({
      name: 'flashd_session_errors_total',
      help: 'Sessions that ended with an error, by error code',
      labelNames: ['code'],
      registers,
    });
    this.#phaseSeconds = new Histogram({
      name: 'flashd_session_phase_seconds',
      help: 'Time a session spent in each phase',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    const counter = (name: string, help: string): Counter => new Counter({ name, help, registers });
    this.#transfer = {
      imageBytes: counter('flashd_transfer_image_bytes_total', 'Image bytes sent to hubs, resends included'),
      wireBytes: counter('flashd_transfer_wire_bytes_total', 'DATA payload bytes on the hub links (deflated where smaller), resends included'),
      blocksResent: counter('flashd_transfer_blocks_resent_total', 'Blocks sent again after a gap or a timeout'),
      timeouts: counter('flashd_transfer_timeouts_total', 'Acknowledgement timeouts during transfers'),
      crcErrors: counter('flashd_transfer_crc_errors_total', 'Frames from hubs dropped for a bad CRC during transfers'),
      stepDowns: counter('flashd_transfer_baud_step_downs_total', 'Line rate reductions because errors climbed'),
    };
    if (sources.guards) registerGuardMetrics(this.registry, sources.guards);
  }

  /** Counts one finished session (the bench's `finished` event). */
  observe({ result }: SlotSessionEnd): void {
    this.#finished.inc({ result: result.result });
    if (result.error) this.#errors.inc({ code: result.error.code });
    for (const phase of TIMED_PHASES) {
      const ms = result.timings[phase];
      if (ms !== undefined) this.#phaseSeconds.observe({ phase }, ms / 1000);
    }
    const t = result.transfer;
    if (!t) return;
    this.#transfer.imageBytes.inc(t.sentBytes);
    this.#transfer.wireBytes.inc(t.wireBytes);
    this.#transfer.blocksResent.inc(t.blocksResent);
    this.#transfer.timeouts.inc(t.timeouts);
    this.#transfer.crcErrors.inc(t.crcErrors);
    this.#transfer.stepDowns.inc(t.stepDowns);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
