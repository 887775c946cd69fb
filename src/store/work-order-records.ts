import type { HubState } from '../domain/hub-state.js';
import type { Outcome } from '../domain/outcomes.js';
import type { CspRegion, SmetsVersion, SmiStatus, WorkOrderState } from '../domain/work-order.js';

/** A work order as the API shows it. */
export interface WorkOrderRecord {
  id: string;
  secPartyId: string;
  cspRegion: CspRegion;
  state: WorkOrderState;
  source: 'api' | 'csv' | 'demo';
  createdAt: string;
  createdBy: string;
  closedAt: string | null;
  closedBy: string | null;
  /** Hubs on the order by state (states with no hubs are left out). */
  counts: Partial<Record<HubState, number>>;
  hubCount: number;
}

/** One hub on one work order: where it is in the process, and the facts the manifest needs. */
export interface WorkOrderHubRecord {
  workOrderId: string;
  deviceId: string;
  line: number;
  declaredModel: string | null;
  declaredFirmwareVersion: string | null;
  smiStatus: SmiStatus;
  smetsVersion: SmetsVersion;
  state: HubState;
  outcome: Outcome | null;
  /** Why it was rejected, failed or proposed for scrap (an error code). */
  reasonCode: string | null;
  /** Things a person must look at, e.g. DOWNGRADE_REFUSED: the hub runs newer firmware than the catalogue. */
  flags: string[];
  /** Running version at the first identify on this work order. */
  firmwareBefore: string | null;
  /** Running version at the outcome (read back after reboot when re-flashed). */
  firmwareAfter: string | null;
  targetVersion: string | null;
  attemptCount: number;
  failedAttempts: number;
  receivedAt: string | null;
  receivedBy: string | null;
  outcomeAt: string | null;
  scrapConfirmedAt: string | null;
  scrapConfirmedBy: string | null;
  returnedAt: string | null;
  returnedBy: string | null;
  updatedAt: string;
}

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
