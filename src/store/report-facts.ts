import type { AttemptRecord } from '../records/attempt.js';
import type { HubRecord } from '../records/hub.js';
import type { WorkOrderRecord } from '../records/work-order.js';
import { toAttempt, toHub, type AttemptRow, type HubRow } from './flash-rows.js';
import type { Db } from './open-database.js';
import type { WorkOrderRow } from './work-order-records.js';

/** What the store knows about one hub's result on one work order, for its N3 notification. */
export interface ReportFacts {
  /** The attempt that produced the outcome (for a confirmed scrap: the hub's last attempt on the work order). */
  attempt: AttemptRecord;
  /** The hub as last identified (GPF Device ID, hardware version, manufacturer, model). */
  hub: HubRecord;
  /** The work order's identity (its hub counts are not needed for a report). */
  workOrder: Pick<WorkOrderRecord, 'id' | 'secPartyId' | 'cspRegion'>;
}

/**
 * Reads the facts of a result on the same connection, inside the transaction that commits it, so
 * the notification describes exactly what was committed. Rows stay in the store; callers get records.
 */
export class ReportFactsReader {
  readonly #stmts;

  constructor(db: Db) {
    this.#stmts = {
      attempt: db.prepare<[number], AttemptRow>('SELECT * FROM attempts WHERE id = ?'),
      lastAttempt: db.prepare<[string, string], AttemptRow>(
        'SELECT * FROM attempts WHERE work_order_id = ? AND device_id = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1',
      ),
      hub: db.prepare<[string], HubRow>('SELECT * FROM hubs WHERE device_id = ?'),
      workOrder: db.prepare<[string], WorkOrderRow>('SELECT * FROM work_orders WHERE id = ?'),
    };
  }

  /** Undefined when a row is missing (never for a hub that had an attempt on the work order). */
  read(workOrderId: string, deviceId: string, attemptId: number | null): ReportFacts | undefined {
    const attempt = attemptId === null ? this.#stmts.lastAttempt.get(workOrderId, deviceId) : this.#stmts.attempt.get(attemptId);
    const hub = this.#stmts.hub.get(deviceId);
    const workOrder = this.#stmts.workOrder.get(workOrderId);
    if (!attempt || !hub || !workOrder) return undefined;
    return {
      attempt: toAttempt(attempt),
      hub: toHub(hub),
      workOrder: { id: workOrder.id, secPartyId: workOrder.sec_party_id, cspRegion: workOrder.csp_region },
    };
  }
}
