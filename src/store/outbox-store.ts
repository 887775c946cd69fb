import { FlashdError } from '../domain/errors.js';
import type { Db } from './open-database.js';
import { toOutboxRecord, type NewOutboxRow, type OutboxItem, type OutboxRecord, type OutboxRow, type OutboxSummary } from './outbox-records.js';

/** A row that has no earlier undelivered row of the same Device ID: the only kind that may be sent. */
const HEAD = `o.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM n3_outbox p WHERE p.device_id = o.device_id AND p.id < o.id AND p.state <> 'DELIVERED')`;
const REASON_MAX = 500;

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  code: string;
  message: string;
}

/**
 * The N3 outbox table (migration 3). Rows arrive through {@link insert}, called by the N3 sink
 * inside the transaction that commits the outcome; after that only the drainer and an operator's
 * re-queue move them. Ordering per Device ID lives here, in {@link due}: a row is handed out only
 * when every earlier row of its Device ID is delivered, so a dead letter holds back the rows
 * behind it until it is re-queued and delivered (docs/n3.md, "Ordering").
 */
export class OutboxStore {
  readonly #db: Db;
  readonly #stmts;

  constructor(db: Db) {
    this.#db = db;
    this.#stmts = {
      insert: db.prepare(`INSERT INTO n3_outbox (idempotency_key, device_id, work_order_id, attempt_id, outcome, payload_json, payload_sha256, created_at)
        VALUES (@idempotencyKey, @deviceId, @workOrderId, @attemptId, @outcome, @payloadJson, @payloadSha256, @createdAt)`),
      get: db.prepare<[number], OutboxRow>('SELECT * FROM n3_outbox WHERE id = ?'),
      due: db.prepare<[number, number], OutboxRow>(`SELECT o.* FROM n3_outbox o WHERE ${HEAD} AND o.next_attempt_ms <= ? ORDER BY o.id LIMIT ?`),
      nextDue: db.prepare<[], { at: number | null }>(`SELECT min(o.next_attempt_ms) AS at FROM n3_outbox o WHERE ${HEAD}`),
      delivered: db.prepare(`UPDATE n3_outbox SET state = 'DELIVERED', delivered_at = @at, delivered_status = @status, attempts = attempts + 1,
          last_attempt_at = @at, last_status = @status, last_error_code = NULL, last_error = NULL WHERE id = @id AND state = 'PENDING'`),
      retry: db.prepare(`UPDATE n3_outbox SET attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error_code = @code,
          last_error = @message, next_attempt_ms = @nextAttemptMs WHERE id = @id AND state = 'PENDING'`),
      dead: db.prepare(`UPDATE n3_outbox SET state = 'DEAD', dead_at = @at, dead_reason = @message, attempts = attempts + 1, last_attempt_at = @at,
          last_status = @status, last_error_code = @code, last_error = @message WHERE id = @id AND state = 'PENDING'`),
      requeue: db.prepare(`UPDATE n3_outbox SET state = 'PENDING', dead_at = NULL, next_attempt_ms = 0, requeue_count = requeue_count + 1
        WHERE id = ? AND state = 'DEAD'`),
      journal: db.prepare("INSERT INTO work_order_events (work_order_id, device_id, at, kind, operator_id, data_json) VALUES (?, ?, ?, 'n3-requeued', ?, ?)"),
      // Kept by triggers (migration 8): counting the rows would read every notification ever made.
      counts: db.prepare<[], { state: string; n: number }>('SELECT state, n FROM n3_outbox_counts'),
      blocked: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM n3_outbox o WHERE o.state = 'PENDING'
        AND EXISTS (SELECT 1 FROM n3_outbox p WHERE p.device_id = o.device_id AND p.id < o.id AND p.state = 'DEAD')`),
      oldestPending: db.prepare<[], { at: string | null }>("SELECT min(created_at) AS at FROM n3_outbox WHERE state = 'PENDING'"),
      // The planner would walk n3_outbox_by_state over every delivered row for the max.
      lastDelivered: db.prepare<[], { at: string | null }>(
        "SELECT max(delivered_at) AS at FROM n3_outbox INDEXED BY n3_outbox_delivered_at WHERE state = 'DELIVERED'",
      ),
      deadLetters: db.prepare<[number], OutboxRow>("SELECT * FROM n3_outbox WHERE state = 'DEAD' ORDER BY id LIMIT ?"),
    };
  }

  /** Queues a notification. Part of the caller's transaction: it commits with the outcome or not at all. */
  insert(row: NewOutboxRow): number {
    return Number(this.#stmts.insert.run(row).lastInsertRowid);
  }

  get(id: number): OutboxRecord | undefined {
    const row = this.#stmts.get.get(id);
    return row && toOutboxRecord(row);
  }

  /** Up to `limit` rows to send now, oldest first, at most one per Device ID (its oldest undelivered one). */
  due(nowMs: number, limit: number): OutboxItem[] {
    return this.#stmts.due
      .all(nowMs, limit)
      .map((r) => ({ id: r.id, idempotencyKey: r.idempotency_key, deviceId: r.device_id, payloadJson: r.payload_json, attempts: r.attempts }));
  }

  /** When the next sendable row is due (ms since the epoch), or undefined when nothing can be sent. */
  nextDueMs(): number | undefined {
    return this.#stmts.nextDue.get()!.at ?? undefined;
  }

  /** The N3 client acknowledged the row (2xx echoing its key): it is never sent again. */
  markDelivered(id: number, at: string, status: number): void {
    this.#stmts.delivered.run({ id, at, status });
  }

  /** A transient failure: try again at `nextAttemptMs`. */
  markRetry(id: number, attempt: DeliveryAttempt, nextAttemptMs: number): void {
    this.#stmts.retry.run({ id, at: attempt.at, status: attempt.status, code: attempt.code, message: clip(attempt.message), nextAttemptMs });
  }

  /** A permanent refusal: the row stops (and holds back later rows of its Device ID) until re-queued. */
  markDead(id: number, attempt: DeliveryAttempt): void {
    this.#stmts.dead.run({ id, at: attempt.at, status: attempt.status, code: attempt.code, message: clip(attempt.message) });
  }

  /**
   * An operator sends a dead letter again, as it is: its key and content never change, so the N3
   * client sees the same notification (fix the cause upstream first). Journalled with who did it.
   */
  requeue(id: number, operatorId: string, at: string): OutboxRecord {
    return this.#db.transaction(() => {
      const row = this.#stmts.get.get(id);
      if (!row) throw new FlashdError('NOT_FOUND', `no outbox row ${id}`);
      if (row.state !== 'DEAD')
        throw new FlashdError('OUTBOX_NOT_DEAD', `outbox row ${id} is ${row.state}, not a dead letter`, { details: { id, state: row.state } });
      this.#stmts.requeue.run(id);
      this.#stmts.journal.run(
        row.work_order_id,
        row.device_id,
        at,
        operatorId,
        JSON.stringify({ outboxId: id, idempotencyKey: row.idempotency_key, deadReason: row.dead_reason }),
      );
      return toOutboxRecord(this.#stmts.get.get(id)!);
    })();
  }

  summary(): OutboxSummary {
    const counts = Object.fromEntries(this.#stmts.counts.all().map((c) => [c.state, c.n]));
    return {
      pending: counts.PENDING ?? 0,
      blocked: this.#stmts.blocked.get()!.n,
      delivered: counts.DELIVERED ?? 0,
      dead: counts.DEAD ?? 0,
      oldestPendingAt: this.#stmts.oldestPending.get()!.at,
      lastDeliveredAt: this.#stmts.lastDelivered.get()!.at,
    };
  }

  deadLetters(limit: number): OutboxRecord[] {
    return this.#stmts.deadLetters.all(limit).map(toOutboxRecord);
  }
}

function clip(text: string): string {
  return text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 3)}...` : text;
}
