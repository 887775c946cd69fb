import { decideIntake, type IntakeCandidate, type IntakeDecision } from '../domain/intake.js';
import { parseDeviceId, type DeviceId } from '../domain/identifiers.js';
import type { HubTransitions } from './hub-transitions.js';
import type { Db } from './open-database.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';

export interface IntakeScan {
  /** As the barcode scanner typed it: trimmed and upper-cased here. */
  deviceId: string;
  operatorId: string;
  /** The delivery being unpacked, when the operator names it. */
  workOrderId?: string | undefined;
}

export type IntakeResult = IntakeDecision & { deviceId: DeviceId; hub: WorkOrderHubRecord | null };

/**
 * Intake at the goods-in desk. Every scan is journalled, strangers too (with no work order), so
 * logistics can account for a box that held a hub nobody ordered.
 */
export class IntakeStore {
  readonly #db: Db;
  readonly #transitions: HubTransitions;
  readonly #now: () => Date;
  readonly #candidates;

  constructor(db: Db, transitions: HubTransitions, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#transitions = transitions;
    this.#now = now;
    this.#candidates = db.prepare<[string], IntakeCandidate>(`SELECT h.work_order_id AS workOrderId, w.state AS workOrderState, h.state,
        h.smi_status AS smiStatus, h.smets_version AS smetsVersion
      FROM work_order_hubs h JOIN work_orders w ON w.id = h.work_order_id WHERE h.device_id = ? ORDER BY w.created_at DESC, w.id DESC`);
  }

  /** Accepts or rejects a scanned hub; a malformed Device ID throws DEVICE_ID_INVALID and records nothing. */
  scan(scan: IntakeScan): IntakeResult {
    const deviceId = parseDeviceId(scan.deviceId);
    const at = this.#now().toISOString();
    return this.#db.transaction((): IntakeResult => {
      const decision = decideIntake(deviceId, this.#candidates.all(deviceId), scan.workOrderId);
      const ctx = { at, operatorId: scan.operatorId, data: { scanned: scan.deviceId } };
      if (decision.decision === 'ACCEPTED') {
        return { ...decision, deviceId, hub: this.#transitions.apply(decision.workOrderId, deviceId, { type: 'intake-accepted' }, ctx) };
      }
      if (decision.changesHub && decision.workOrderId !== null) {
        return { ...decision, deviceId, hub: this.#transitions.apply(decision.workOrderId, deviceId, { type: 'intake-rejected', code: decision.code }, ctx) };
      }
      this.#transitions.journal(decision.workOrderId, deviceId, at, 'intake-scan-refused', scan.operatorId, {
        code: decision.code,
        scanned: scan.deviceId,
        expected: scan.workOrderId ?? null,
      });
      const hub = decision.workOrderId === null ? undefined : this.#transitions.get(decision.workOrderId, deviceId);
      return { ...decision, deviceId, hub: hub ?? null };
    })();
  }
}
