/** Where a notification is: waiting (or retrying), acknowledged by the N3 client, or refused for good. */
export const OUTBOX_STATES = ['PENDING', 'DELIVERED', 'DEAD'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** Final outcomes the N3 client is told about (REJECTED only when `upstream.n3.reportRejected`). */
export const REPORTED_OUTCOMES = ['REFLASHED', 'ALREADY_CURRENT', 'SCRAP', 'REJECTED'] as const;
export type ReportedOutcome = (typeof REPORTED_OUTCOMES)[number];

/** A row to queue: its content is fixed from here on. */
export interface NewOutboxRow {
  idempotencyKey: string;
  deviceId: string;
  workOrderId: string;
  attemptId: number;
  outcome: ReportedOutcome;
  /** Canonical JSON: the exact bytes every (re)send carries. */
  payloadJson: string;
  payloadSha256: string;
  createdAt: string;
}

/** What the drainer needs to send one row. */
export interface OutboxItem {
  id: number;
  idempotencyKey: string;
  deviceId: string;
  payloadJson: string;
  attempts: number;
}

/** A row as the API and logs show it. */
export interface OutboxRecord {
  id: number;
  idempotencyKey: string;
  deviceId: string;
  workOrderId: string;
  attemptId: number;
  outcome: ReportedOutcome;
  state: OutboxState;
  createdAt: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastErrorCode: string | null;
  lastError: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
  /** Why it was dead-lettered (kept after a re-queue as the last reason). */
  deadReason: string | null;
  requeueCount: number;
  payloadSha256: string;
  payload: Record<string, unknown>;
}

export interface OutboxRow {
  id: number;
  idempotency_key: string;
  device_id: string;
  work_order_id: string;
  attempt_id: number;
  outcome: ReportedOutcome;
  payload_json: string;
  payload_sha256: string;
  created_at: string;
  state: OutboxState;
  attempts: number;
  next_attempt_ms: number;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error_code: string | null;
  last_error: string | null;
  delivered_at: string | null;
  delivered_status: number | null;
  dead_at: string | null;
  dead_reason: string | null;
  requeue_count: number;
}

export function toOutboxRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    deviceId: row.device_id,
    workOrderId: row.work_order_id,
    attemptId: row.attempt_id,
    outcome: row.outcome,
    state: row.state,
    createdAt: row.created_at,
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at,
    lastStatus: row.last_status,
    lastErrorCode: row.last_error_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
    deadReason: row.dead_reason,
    requeueCount: row.requeue_count,
    payloadSha256: row.payload_sha256,
    payload: JSON.parse(row.payload_json) as Record<string, unknown>,
  };
}

/** The figures `GET /api/v1/outbox` and the periodic log line report. */
export interface OutboxSummary {
  pending: number;
  /** Pending rows that wait behind a dead letter of the same Device ID (they are never sent first). */
  blocked: number;
  delivered: number;
  dead: number;
  oldestPendingAt: string | null;
  lastDeliveredAt: string | null;
}
