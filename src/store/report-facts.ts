import type { AttemptRow, HubRow } from './flash-rows.js';
import type { Db } from './open-database.js';
import type { WorkOrderRow } from './work-order-records.js';

/** What the store knows about one hub's result on one work order, for its N3 notification. */
export interface ReportFacts {
  /** The attempt that produced the outcome (for a confirmed scrap: the hub's last attempt on the work order). */
  attempt: AttemptRow;
  /** The hub as last identified (GPF Device ID, hardware version, manufacturer, model). */
  hub: HubRow;
  workOrder: WorkOrderRow;
}

/**
 * Reads the facts of a result on the same connection, inside the transaction that commits it, so
 * the notification describes exactly what was committed.
 */
export class ReportFactsReader {
  readonly #stmts;

  constructor(db: Db) {
    this.#stmts = {
      attempt: db.prepare<[number], AttemptRow>('SELECT * FROM attempts WHERE id = ?'),
      lastAttempt: db.prepare<[string, string], AttemptRow>('SELECT * FROM attempts WHERE work_order_id = ? AND device_id = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1'),
      hub: db.prepare<[string], HubRow>('SELECT * FROM hubs WHERE device_id = ?'),
      workOrder: db.prepare<[string], WorkOrderRow>('SELECT * FROM work_orders WHERE id = ?'),
    };
  }

  /** Undefined when a row is missing (never for a hub that had an attempt on the work order). */
  read(workOrderId: string, deviceId: string, attemptId: number | null): ReportFacts | undefined {
    const attempt = attemptId === null ? this.#stmts.lastAttempt.get(workOrderId, deviceId) : this.#stmts.attempt.get(attemptId);
    const hub = this.#stmts.hub.get(deviceId);
    const workOrder = this.#stmts.workOrder.get(workOrderId);
    return attempt && hub && workOrder ? { attempt, hub, workOrder } : undefined;
  }
}
