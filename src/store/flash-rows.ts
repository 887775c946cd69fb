import type { AttemptResult, Outcome, PhaseTimings } from '../domain/outcomes.js';
import type { AttemptRecord } from '../records/attempt.js';
import type { HubRecord } from '../records/hub.js';

/** Rows of the hubs and attempts tables and their API shapes. */
export interface HubRow {
  device_id: string;
  gpf_device_id: string;
  manufacturer: string;
  model: string;
  hardware_version: number;
  state: 'FLASHING' | 'FINISHED';
  outcome: Outcome | null;
  previous_firmware_version: string;
  firmware_version: string;
  attempt_count: number;
  last_error_code: string | null;
  first_seen_at: string;
  updated_at: string;
}

export interface AttemptRow {
  id: number;
  device_id: string;
  bench_id: string;
  jig_id: string;
  slot: number;
  started_at: string;
  finished_at: string | null;
  result: AttemptResult | null;
  firmware_before: string;
  firmware_target: string | null;
  firmware_after: string | null;
  image_sha256: string | null;
  hub_sha256: string | null;
  error_code: string | null;
  error_message: string | null;
  error_phase: string | null;
  timings_json: string;
  transfer_json: string | null;
  work_order_id: string | null;
  operator_id: string | null;
  /** The hub's SHA-256 equalled the image's (stored while the attempt was open). */
  verified_at: string | null;
  /** ACTIVATE was about to be sent; the hub may run the target from then on. */
  activate_at: string | null;
}

export function toHub(row: HubRow): HubRecord {
  return {
    deviceId: row.device_id,
    gpfDeviceId: row.gpf_device_id,
    manufacturer: row.manufacturer,
    model: row.model,
    hardwareVersion: row.hardware_version,
    state: row.state,
    outcome: row.outcome,
    previousFirmwareVersion: row.previous_firmware_version,
    firmwareVersion: row.firmware_version,
    attemptCount: row.attempt_count,
    lastErrorCode: row.last_error_code as HubRecord['lastErrorCode'],
    firstSeenAt: row.first_seen_at,
    updatedAt: row.updated_at,
  };
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    id: row.id,
    deviceId: row.device_id,
    benchId: row.bench_id,
    jigId: row.jig_id,
    slot: row.slot,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: row.result,
    firmwareBefore: row.firmware_before,
    firmwareTarget: row.firmware_target,
    firmwareAfter: row.firmware_after,
    imageSha256: row.image_sha256,
    hubSha256: row.hub_sha256,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '', phase: row.error_phase } : null,
    timings: JSON.parse(row.timings_json) as PhaseTimings,
    transfer: row.transfer_json ? (JSON.parse(row.transfer_json) as Record<string, number>) : null,
    workOrderId: row.work_order_id,
    operatorId: row.operator_id,
  };
}
