import { FlashdError } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import { nextHubOutcome } from '../domain/hub-outcome.js';
import type { AttemptResult, Outcome, PhaseTimings } from '../domain/outcomes.js';
import type { Db } from './open-database.js';
import type { AttemptRecord, HubDetail, HubRecord } from './records.js';

export interface AttemptStart {
  identity: HubIdentity;
  benchId: string;
  jigId: string;
  slot: number;
  startedAt: Date;
}

export interface AttemptFinish {
  result: AttemptResult;
  firmwareTarget?: string | undefined;
  firmwareAfter?: string | undefined;
  imageSha256?: string | undefined;
  hubSha256?: string | undefined;
  error?: { code: string; message: string; phase: string } | undefined;
  timings: PhaseTimings;
  transfer?: object | undefined;
}

export interface HubQuery {
  limit: number;
  /** Device ID to continue after (keyset pagination). */
  after?: string | undefined;
  outcome?: Outcome | undefined;
}

interface HubRow {
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

interface AttemptRow {
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
}

/**
 * Hubs, attempts and their journal. Every change is one transaction: a hub never shows an
 * outcome without the attempt that produced it, and nothing half-done is stored.
 */
export class FlashStore {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #stmts;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
    this.#stmts = {
      hub: db.prepare<[string], HubRow>('SELECT * FROM hubs WHERE device_id = ?'),
      insertHub: db.prepare(`INSERT INTO hubs (device_id, gpf_device_id, manufacturer, model, hardware_version, state, outcome,
          previous_firmware_version, firmware_version, attempt_count, first_seen_at, updated_at)
        VALUES (@deviceId, @gpfDeviceId, @manufacturer, @model, @hardwareVersion, 'FLASHING', NULL, @firmwareVersion, @firmwareVersion, 0, @now, @now)`),
      startHub: db.prepare(`UPDATE hubs SET state = 'FLASHING', gpf_device_id = @gpfDeviceId, hardware_version = @hardwareVersion,
          firmware_version = @firmwareVersion, updated_at = @now WHERE device_id = @deviceId`),
      insertAttempt: db.prepare(`INSERT INTO attempts (device_id, bench_id, jig_id, slot, started_at, firmware_before)
        VALUES (@deviceId, @benchId, @jigId, @slot, @startedAt, @firmwareBefore)`),
      attempt: db.prepare<[number], AttemptRow>('SELECT * FROM attempts WHERE id = ?'),
      finishAttempt: db.prepare(`UPDATE attempts SET finished_at = @finishedAt, result = @result, firmware_target = @firmwareTarget,
          firmware_after = @firmwareAfter, image_sha256 = @imageSha256, hub_sha256 = @hubSha256, error_code = @errorCode,
          error_message = @errorMessage, error_phase = @errorPhase, timings_json = @timings, transfer_json = @transfer
        WHERE id = @id AND finished_at IS NULL`),
      finishHub: db.prepare(`UPDATE hubs SET state = 'FINISHED', outcome = @outcome, firmware_version = @firmwareVersion,
          attempt_count = attempt_count + 1, last_error_code = @lastErrorCode, updated_at = @now WHERE device_id = @deviceId`),
      journal: db.prepare('INSERT INTO hub_events (device_id, at, kind, data_json) VALUES (?, ?, ?, ?)'),
      unfinished: db.prepare<[], AttemptRow>('SELECT * FROM attempts WHERE finished_at IS NULL ORDER BY id'),
      attemptsOf: db.prepare<[string], AttemptRow>('SELECT * FROM attempts WHERE device_id = ? ORDER BY id'),
    };
  }

  /** Records that a session identified a hub and is about to work on it; returns the attempt id. */
  beginAttempt(start: AttemptStart): number {
    const { identity } = start;
    const now = this.#now().toISOString();
    return this.#db.transaction(() => {
      const existing = this.#stmts.hub.get(identity.deviceId);
      const params = { ...identity, now };
      if (existing) this.#stmts.startHub.run(params);
      else this.#stmts.insertHub.run(params);
      const { lastInsertRowid } = this.#stmts.insertAttempt.run({
        deviceId: identity.deviceId,
        benchId: start.benchId,
        jigId: start.jigId,
        slot: start.slot,
        startedAt: start.startedAt.toISOString(),
        firmwareBefore: identity.firmwareVersion,
      });
      const id = Number(lastInsertRowid);
      this.#stmts.journal.run(identity.deviceId, now, 'attempt-started', JSON.stringify({ attemptId: id, jigId: start.jigId, slot: start.slot }));
      return id;
    })();
  }

  /** Closes an attempt and moves its hub to the resulting outcome, in one transaction. */
  finishAttempt(attemptId: number, finish: AttemptFinish): HubRecord {
    const now = this.#now().toISOString();
    return this.#db.transaction(() => {
      const attempt = this.#stmts.attempt.get(attemptId);
      if (!attempt) throw new FlashdError('NOT_FOUND', `no attempt ${attemptId}`);
      if (attempt.finished_at !== null) throw new FlashdError('STORE_INVALID_STATE', `attempt ${attemptId} is already finished (${attempt.result})`);
      const hub = this.#stmts.hub.get(attempt.device_id)!;
      this.#stmts.finishAttempt.run({
        id: attemptId,
        finishedAt: now,
        result: finish.result,
        firmwareTarget: finish.firmwareTarget ?? null,
        firmwareAfter: finish.firmwareAfter ?? null,
        imageSha256: finish.imageSha256 ?? null,
        hubSha256: finish.hubSha256 ?? null,
        errorCode: finish.error?.code ?? null,
        errorMessage: finish.error?.message ?? null,
        errorPhase: finish.error?.phase ?? null,
        timings: JSON.stringify(finish.timings),
        transfer: finish.transfer ? JSON.stringify(finish.transfer) : null,
      });
      const outcome = nextHubOutcome(hub.outcome, finish.result);
      this.#stmts.finishHub.run({
        deviceId: attempt.device_id,
        outcome,
        firmwareVersion: finish.firmwareAfter ?? attempt.firmware_before,
        lastErrorCode: finish.error?.code ?? null,
        now,
      });
      this.#stmts.journal.run(
        attempt.device_id,
        now,
        'attempt-finished',
        JSON.stringify({ attemptId, result: finish.result, outcome, ...(finish.error ? { error: finish.error.code } : {}) }),
      );
      return toHub(this.#stmts.hub.get(attempt.device_id)!);
    })();
  }

  /**
   * At start-up: attempts left open by a crash or power cut are closed as INTERRUPTED, so no hub
   * stays "flashing" forever and none is ever counted as re-flashed without its proof.
   */
  recoverUnfinished(): number {
    const open = this.#stmts.unfinished.all();
    for (const attempt of open) {
      this.finishAttempt(attempt.id, {
        result: 'INTERRUPTED',
        error: { code: 'SESSION_INTERRUPTED', message: 'flashd stopped before the attempt finished', phase: 'UNKNOWN' },
        timings: JSON.parse(attempt.timings_json) as PhaseTimings,
      });
    }
    return open.length;
  }

  getHub(deviceId: string): HubDetail | undefined {
    const row = this.#stmts.hub.get(deviceId);
    if (!row) return undefined;
    return { ...toHub(row), attempts: this.#stmts.attemptsOf.all(deviceId).map(toAttempt) };
  }

  listHubs(query: HubQuery): { items: HubRecord[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.after) {
      where.push('device_id > ?');
      params.push(query.after);
    }
    if (query.outcome) {
      where.push('outcome = ?');
      params.push(query.outcome);
    }
    const sql = `SELECT * FROM hubs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY device_id LIMIT ?`;
    const rows = this.#db.prepare<unknown[], HubRow>(sql).all(...params, query.limit + 1);
    const more = rows.length > query.limit;
    const items = rows.slice(0, query.limit).map(toHub);
    return { items, nextCursor: more ? items[items.length - 1]!.deviceId : null };
  }
}

function toHub(row: HubRow): HubRecord {
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

function toAttempt(row: AttemptRow): AttemptRecord {
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
  };
}
