import type { Db } from './open-database.js';

/** `store.retention`: ages in days; 0 keeps those records for ever (the default). */
export interface RetentionPolicy {
  deliveredReportsDays: number;
  attemptsDays: number;
}

/** Where a sweep reports (the daemon's pino logger). */
export interface RetentionLog {
  info: (facts: object, msg: string) => void;
  error: (facts: object, msg: string) => void;
}

export interface Pruned {
  reports: number;
  attempts: number;
}

const DAY_MS = 86_400_000;
/** A work order whose manifest and charges are final: nothing new is recorded against it. */
const SETTLED = "SELECT 1 FROM work_orders w WHERE w.id = %s AND w.state IN ('CLOSED', 'CANCELLED')";

/**
 * Deletes, in one transaction, what the policy lets go and nothing anything still needs:
 * N3 outbox rows DELIVERED before the cut-off, of settled work orders (a PENDING or DEAD row is
 * never touched, and the schema refuses it: migration 5); attempts finished before the cut-off,
 * of settled work orders or of none, that no outbox row refers to. Manifests, charges and the SSMI
 * file read work_order_hubs, which is never pruned, nor are hubs and the append-only journals.
 * An open work order's attempts stay: its next outcome, activation checks and N3 payload read them.
 */
export function pruneRecords(db: Db, policy: RetentionPolicy, now: Date): Pruned {
  const cutoff = (days: number): string => new Date(now.getTime() - days * DAY_MS).toISOString();
  return db.transaction((): Pruned => {
    let reports = 0;
    let attempts = 0;
    if (policy.deliveredReportsDays > 0) {
      reports = db
        .prepare(`DELETE FROM n3_outbox WHERE state = 'DELIVERED' AND delivered_at < ? AND EXISTS (${SETTLED.replace('%s', 'n3_outbox.work_order_id')})`)
        .run(cutoff(policy.deliveredReportsDays)).changes;
    }
    if (policy.attemptsDays > 0) {
      attempts = db
        .prepare(
          `DELETE FROM attempts WHERE finished_at IS NOT NULL AND finished_at < ?
            AND (work_order_id IS NULL OR EXISTS (${SETTLED.replace('%s', 'attempts.work_order_id')}))
            AND NOT EXISTS (SELECT 1 FROM n3_outbox o WHERE o.attempt_id = attempts.id)`,
        )
        .run(cutoff(policy.attemptsDays)).changes;
    }
    return { reports, attempts };
  })();
}

/** Runs {@link pruneRecords} at start and then daily; off when both ages are 0. */
export class RetentionSweep {
  readonly #db: Db;
  readonly #policy: RetentionPolicy;
  readonly #log: RetentionLog;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Db, policy: RetentionPolicy, log: RetentionLog, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#policy = policy;
    this.#log = log;
    this.#now = now;
  }

  start(): void {
    if (this.#policy.deliveredReportsDays === 0 && this.#policy.attemptsDays === 0) return;
    this.sweep();
    this.#timer = setInterval(() => this.sweep(), DAY_MS);
    this.#timer.unref();
  }

  /** One pass; a failure (a full disk) is logged and the next day's pass tries again. */
  sweep(): Pruned | undefined {
    try {
      const pruned = pruneRecords(this.#db, this.#policy, this.#now());
      this.#log.info({ ...pruned, policy: this.#policy }, 'retention pruned old records');
      return pruned;
    } catch (err) {
      this.#log.error({ err }, 'retention could not prune old records');
      return undefined;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
