import type { Logger } from 'pino';
import type { OutboxStore } from '../store/outbox-store.js';

/** The outbox figures the API and the periodic log line share. */
export interface OutboxFigures {
  pending: number;
  /** Pending rows held back behind a dead letter of the same Device ID. */
  blocked: number;
  delivered: number;
  dead: number;
  /** Age of the oldest pending row, or null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  lastDeliveredAt: string | null;
}

export function outboxFigures(outbox: Pick<OutboxStore, 'summary'>, nowMs: number): OutboxFigures {
  const s = outbox.summary();
  return {
    pending: s.pending,
    blocked: s.blocked,
    delivered: s.delivered,
    dead: s.dead,
    oldestPendingAgeSeconds: s.oldestPendingAt === null ? null : Math.max(0, Math.round((nowMs - Date.parse(s.oldestPendingAt)) / 1000)),
    lastDeliveredAt: s.lastDeliveredAt,
  };
}

/**
 * Logs the figures every `intervalMs` (info; warn while anything is dead or blocked), so journald
 * shows a stuck outbox without anyone asking the API. `stop()` is idempotent.
 */
export class OutboxSummaryLog {
  readonly #timer: NodeJS.Timeout;

  constructor(outbox: Pick<OutboxStore, 'summary'>, log: Logger, intervalMs: number, now: () => number = Date.now) {
    this.#timer = setInterval(() => {
      try {
        const figures = outboxFigures(outbox, now());
        log[figures.dead > 0 ? 'warn' : 'info'](figures, 'n3 outbox summary');
      } catch (err) {
        log.error({ err }, 'n3 outbox summary failed');
      }
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
