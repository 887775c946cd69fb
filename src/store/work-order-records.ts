import type { HubState } from '../domain/hub-state.js';
import type { Outcome } from '../domain/outcomes.js';
import type { CspRegion, SmetsVersion, SmiStatus, WorkOrderState } from '../domain/work-order.js';
import type { WorkOrderRecord } from '../records/work-order.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';

/** Rows of the work_orders and work_order_hubs tables (private to the store) and their mapping to records. */
export interface WorkOrderRow {
  id: string;
  sec_party_id: string;
  csp_region: CspRegion;
  state: WorkOrderState;
  source: WorkOrderRecord['source'];
  created_at: string;
  created_by: string;
  closed_at: string | null;
  closed_by: string | null;
}

export interface WorkOrderHubRow {
  work_order_id: string;
  device_id: string;
  line: number;
  declared_model: string | null;
  declared_firmware_version: string | null;
  smi_status: SmiStatus;
  smets_version: SmetsVersion;
  state: HubState;
  outcome: Outcome | null;
  reason_code: string | null;
  flags_json: string;
  firmware_before: string | null;
  firmware_after: string | null;
  target_version: string | null;
  attempt_count: number;
  failed_attempts: number;
  received_at: string | null;
  received_by: string | null;
  outcome_at: string | null;
  scrap_confirmed_at: string | null;
  scrap_confirmed_by: string | null;
  returned_at: string | null;
  returned_by: string | null;
  updated_at: string;
}

export function toWorkOrder(row: WorkOrderRow, counts: Partial<Record<HubState, number>>): WorkOrderRecord {
  return {
    id: row.id,
    secPartyId: row.sec_party_id,
    cspRegion: row.csp_region,
    state: row.state,
    source: row.source,
    createdAt: row.created_at,
    createdBy: row.created_by,
    closedAt: row.closed_at,
    closedBy: row.closed_by,
    counts,
    hubCount: Object.values(counts).reduce((a, b) => a + b, 0),
  };
}

export function toWorkOrderHub(row: WorkOrderHubRow): WorkOrderHubRecord {
  return {
    workOrderId: row.work_order_id,
    deviceId: row.device_id,
    line: row.line,
    declaredModel: row.declared_model,
    declaredFirmwareVersion: row.declared_firmware_version,
    smiStatus: row.smi_status,
    smetsVersion: row.smets_version,
    state: row.state,
    outcome: row.outcome,
    reasonCode: row.reason_code,
    flags: JSON.parse(row.flags_json) as string[],
    firmwareBefore: row.firmware_before,
    firmwareAfter: row.firmware_after,
    targetVersion: row.target_version,
    attemptCount: row.attempt_count,
    failedAttempts: row.failed_attempts,
    receivedAt: row.received_at,
    receivedBy: row.received_by,
    outcomeAt: row.outcome_at,
    scrapConfirmedAt: row.scrap_confirmed_at,
    scrapConfirmedBy: row.scrap_confirmed_by,
    returnedAt: row.returned_at,
    returnedBy: row.returned_by,
    updatedAt: row.updated_at,
  };
}
