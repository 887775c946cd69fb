import { FLAGGED_REFUSALS } from '../domain/eligibility.js';
import { FlashdError } from '../domain/errors.js';
import type { FlashHistory } from '../domain/flash-history.js';
import type { FirmwareVersion } from '../domain/identifiers.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import type { AttemptResult, Outcome, PhaseTimings } from '../domain/outcomes.js';
import { toAttempt, toHub, type AttemptRow, type HubRow } from './flash-rows.js';
import { HubTransitions } from './hub-transitions.js';
import { commitWithoutFsync, type Db } from './open-database.js';
import { inTransaction } from './transaction.js';
import { FullCommits, type Durability } from './wal-durability.js';
import type { HubDetail, HubRecord } from '../records/hub.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';

export interface AttemptStart {
  identity: HubIdentity;
  benchId: string;
  jigId: string;
  slot: number;
  startedAt: Date;
  /** The work order the slot bound the hub to: every attempt is made under one (MP155). */
  workOrderId: string;
  operatorId: string;
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

/** The hub's SHA-256 equalled the image's: what an open attempt records before ACTIVATE may be sent. */
export interface VerifiedImage {
  firmwareTarget: string;
  imageSha256: string;
  hubSha256: string;
}

export interface HubQuery {
  limit: number;
  /** Device ID to continue after (keyset pagination). */
  after?: string | undefined;
  outcome?: Outcome | undefined;
}

export interface FlashStoreOptions {
  now?: () => Date;
  /** `process.maxAttempts`: failed attempts before scrap is proposed. Default 3. */
  maxAttempts?: number;
  /** Shared with the other stores so every hub transition reaches the same sinks. */
  transitions?: HubTransitions;
  /** How the commits a session waits on reach the disk; default each FULL ({@link FullCommits}). */
  durability?: Durability;
}

/**
 * Hubs, attempts and their journal. Every change is one transaction: a hub never shows an
 * outcome without the attempt that produced it, and nothing half-done is stored. An attempt's
 * outcome, its work order hub's new state and the sinks' rows (the N3 outbox) commit together.
 */
export class FlashStore {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #maxAttempts: number;
  readonly #transitions: HubTransitions;
  readonly #durability: Durability;
  readonly #stmts;

  constructor(db: Db, options: FlashStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#transitions = options.transitions ?? new HubTransitions(db);
    this.#durability = options.durability ?? new FullCommits(db);
    this.#stmts = {
      hub: db.prepare<[string], HubRow>('SELECT * FROM hubs WHERE device_id = ?'),
      insertHub: db.prepare(`INSERT INTO hubs (device_id, gpf_device_id, manufacturer, model, hardware_version, state, outcome,
          previous_firmware_version, firmware_version, attempt_count, first_seen_at, updated_at)
        VALUES (@deviceId, @gpfDeviceId, @manufacturer, @model, @hardwareVersion, 'FLASHING', NULL, @firmwareVersion, @firmwareVersion, 0, @now, @now)`),
      startHub: db.prepare(`UPDATE hubs SET state = 'FLASHING', gpf_device_id = @gpfDeviceId, hardware_version = @hardwareVersion,
          firmware_version = @firmwareVersion, updated_at = @now WHERE device_id = @deviceId`),
      insertAttempt: db.prepare(`INSERT INTO attempts (device_id, bench_id, jig_id, slot, started_at, firmware_before, work_order_id, operator_id)
        VALUES (@deviceId, @benchId, @jigId, @slot, @startedAt, @firmwareBefore, @workOrderId, @operatorId)`),
      attempt: db.prepare<[number], AttemptRow>('SELECT * FROM attempts WHERE id = ?'),
      // What the open attempt already recorded (verified image, target) stays unless the ending says more.
      finishAttempt: db.prepare(`UPDATE attempts SET finished_at = @finishedAt, result = @result, firmware_target = COALESCE(@firmwareTarget, firmware_target),
          firmware_after = @firmwareAfter, image_sha256 = COALESCE(@imageSha256, image_sha256), hub_sha256 = COALESCE(@hubSha256, hub_sha256), error_code = @errorCode,
          error_message = @errorMessage, error_phase = @errorPhase, timings_json = @timings, transfer_json = @transfer
        WHERE id = @id AND finished_at IS NULL`),
      finishHub: db.prepare(`UPDATE hubs SET state = 'FINISHED', outcome = @outcome, firmware_version = @firmwareVersion,
          attempt_count = attempt_count + 1, last_error_code = @lastErrorCode, updated_at = @now WHERE device_id = @deviceId`),
      verified: db.prepare(`UPDATE attempts SET verified_at = @at, firmware_target = @firmwareTarget, image_sha256 = @imageSha256, hub_sha256 = @hubSha256
        WHERE id = @id AND finished_at IS NULL`),
      activating: db.prepare('UPDATE attempts SET activate_at = @at WHERE id = @id AND finished_at IS NULL AND verified_at IS NOT NULL'),
      activations: db.prepare<
        [string, string],
        { id: number; firmware_target: string; hub_sha256: string }
      >(`SELECT id, firmware_target, hub_sha256 FROM attempts
        WHERE work_order_id = ? AND device_id = ? AND activate_at IS NOT NULL AND verified_at IS NOT NULL AND firmware_target IS NOT NULL
          AND hub_sha256 IS NOT NULL AND hub_sha256 = image_sha256 ORDER BY id`),
      journal: db.prepare('INSERT INTO hub_events (device_id, at, kind, data_json) VALUES (?, ?, ?, ?)'),
      unfinished: db.prepare<[], AttemptRow>('SELECT * FROM attempts WHERE finished_at IS NULL ORDER BY id'),
      attemptsOf: db.prepare<[string], AttemptRow>('SELECT * FROM attempts WHERE device_id = ? ORDER BY id'),
      sameErrorBefore: db.prepare<[string, string, number, string], { n: number }>(
        "SELECT count(*) AS n FROM attempts WHERE work_order_id = ? AND device_id = ? AND id <> ? AND result = 'FAILED' AND error_code = ?",
      ),
      verifiedEarlier: db.prepare<[string, string, number, string], { n: number }>(`SELECT count(*) AS n FROM attempts WHERE work_order_id = ? AND device_id = ?
          AND id <> ? AND hub_sha256 IS NOT NULL AND hub_sha256 = image_sha256 AND firmware_target = ?`),
    };
  }

  /**
   * Records that a session identified a hub bound to a work order and is about to work on it;
   * returns the attempt id. Throws HUB_TRANSITION_ILLEGAL (storing nothing) when the hub's state on
   * the work order does not allow an attempt.
   */
  beginAttempt(start: AttemptStart): number {
    const { identity } = start;
    const now = this.#now().toISOString();
    // Nothing outside the store rests on an attempt's start until the session's next commit, the
    // verified hash before ACTIVATE, which is FULL: a power cut before it loses only the start of
    // an attempt that changed nothing on the hub the next one cannot resume. One fsync a hub fewer.
    return commitWithoutFsync(this.#db, () => this.#begin(start, identity, now));
  }

  #begin(start: AttemptStart, identity: AttemptStart['identity'], now: string): number {
    return inTransaction(this.#db, () => {
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
        workOrderId: start.workOrderId,
        operatorId: start.operatorId,
      });
      const id = Number(lastInsertRowid);
      this.#transitions.apply(
        start.workOrderId,
        identity.deviceId,
        { type: 'attempt-started' },
        {
          at: now,
          operatorId: start.operatorId,
          attemptId: id,
          firmwareBefore: identity.firmwareVersion,
          data: { jigId: start.jigId, slot: start.slot },
        },
      );
      this.#stmts.journal.run(
        identity.deviceId,
        now,
        'attempt-started',
        JSON.stringify({ attemptId: id, jigId: start.jigId, slot: start.slot, workOrderId: start.workOrderId }),
      );
      return id;
    });
  }

  /**
   * The hub verified the image: stored on the open attempt (committed, synchronous=FULL) before the
   * session may activate, so a crash from here on cannot lose the proof. Throws, storing nothing,
   * when the hashes differ or the attempt is not open.
   */
  recordVerified(attemptId: number, image: VerifiedImage): void {
    if (image.hubSha256 !== image.imageSha256) {
      throw new FlashdError('STORE_INVALID_STATE', `attempt ${attemptId}: hub SHA-256 ${image.hubSha256} is not the image's ${image.imageSha256}`);
    }
    this.#openAttemptFact(attemptId, 'image-verified', () => this.#stmts.verified.run({ id: attemptId, at: this.#now().toISOString(), ...image }).changes, {
      firmwareTarget: image.firmwareTarget,
      hubSha256: image.hubSha256,
    });
  }

  /** ACTIVATE is about to be sent: stored before it is, since from then on the hub may boot the target. */
  recordActivating(attemptId: number): void {
    this.#openAttemptFact(attemptId, 'activate-sent', () => this.#stmts.activating.run({ id: attemptId, at: this.#now().toISOString() }).changes, {});
  }

  /**
   * {@link recordVerified} and {@link recordActivating} in one commit: what a session stores just
   * before it sends ACTIVATE, which it may only do once {@link synced} says the commit is on disk.
   */
  recordVerifiedActivating(attemptId: number, image: VerifiedImage): void {
    this.#durability.commit(() => {
      this.recordVerified(attemptId, image);
      this.recordActivating(attemptId);
    });
  }

  /**
   * Settles once every commit so far is on disk. {@link recordVerifiedActivating} and
   * {@link finishAttemptOnWorkOrder} commit without waiting for the disk (the store's
   * {@link Durability}): whoever acts on them outside the store waits for this first.
   */
  synced(): Promise<void> {
    return this.#durability.synced();
  }

  /** Images the bench verified and activated on the hub on this work order (its proof for a later read-back). */
  flashHistory(workOrderId: string, deviceId: string): FlashHistory {
    const rows = this.#stmts.activations.all(workOrderId, deviceId);
    return { activations: rows.map((r) => ({ attemptId: r.id, version: r.firmware_target as FirmwareVersion, sha256: r.hub_sha256 })) };
  }

  #openAttemptFact(attemptId: number, kind: string, write: () => number, data: Record<string, unknown>): void {
    inTransaction(this.#db, () => {
      if (write() !== 1) throw new FlashdError('STORE_INVALID_STATE', `attempt ${attemptId} is not open (or not verified) for "${kind}"`);
      const { device_id } = this.#stmts.attempt.get(attemptId)!;
      this.#stmts.journal.run(device_id, this.#now().toISOString(), kind, JSON.stringify({ attemptId, ...data }));
    });
  }

  /**
   * Closes an attempt and moves its hub to the resulting state, in one transaction: the one place
   * where an attempt's outcome is committed (and where issue 6's outbox row joins it, as a sink).
   */
  finishAttempt(attemptId: number, finish: AttemptFinish): HubRecord {
    return this.finishAttemptOnWorkOrder(attemptId, finish).hub;
  }

  /** {@link finishAttempt}, also returning the hub's new state on its work order; on disk once {@link synced} settles. */
  finishAttemptOnWorkOrder(attemptId: number, finish: AttemptFinish): { hub: HubRecord; workOrderHub: WorkOrderHubRecord | undefined } {
    const now = this.#now().toISOString();
    return this.#durability.commit(() => {
      const attempt = this.#stmts.attempt.get(attemptId);
      if (!attempt) throw new FlashdError('NOT_FOUND', `no attempt ${attemptId}`);
      if (attempt.finished_at !== null) throw new FlashdError('STORE_INVALID_STATE', `attempt ${attemptId} is already finished (${attempt.result})`);
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
      const workOrderHub = attempt.work_order_id === null ? undefined : this.#moveWorkOrderHub(attempt, finish, now);
      // Attempts from before work orders existed (recovered after an upgrade) have no process state.
      const outcome: Outcome = workOrderHub?.outcome ?? 'FAILED';
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
      return { hub: toHub(this.#stmts.hub.get(attempt.device_id)!), workOrderHub };
    });
  }

  #moveWorkOrderHub(attempt: AttemptRow, finish: AttemptFinish, at: string): WorkOrderHubRecord {
    const wo = attempt.work_order_id!;
    const current = this.#transitions.get(wo, attempt.device_id)!;
    const errorCode = finish.error?.code ?? null;
    const running = finish.firmwareAfter ?? attempt.firmware_before;
    const seenVersion = finish.result === 'REFLASHED' || finish.result === 'ALREADY_CURRENT' || finish.result === 'REJECTED';
    return this.#transitions.apply(
      wo,
      attempt.device_id,
      {
        type: 'attempt-finished',
        attempt: {
          result: finish.result,
          errorCode,
          failedAttempts: current.failedAttempts + (finish.result === 'FAILED' ? 1 : 0),
          sameErrorBefore: errorCode === null ? 0 : this.#stmts.sameErrorBefore.get(wo, attempt.device_id, attempt.id, errorCode)!.n,
          verifiedEarlier: finish.result === 'ALREADY_CURRENT' && this.#stmts.verifiedEarlier.get(wo, attempt.device_id, attempt.id, running)!.n > 0,
          maxAttempts: this.#maxAttempts,
        },
      },
      {
        at,
        operatorId: attempt.operator_id ?? 'unknown',
        attemptId: attempt.id,
        firmwareAfter: seenVersion ? running : undefined,
        targetVersion: finish.firmwareTarget,
        flag: finish.result === 'REJECTED' && errorCode !== null && FLAGGED_REFUSALS.has(errorCode) ? errorCode : undefined,
        data: { result: finish.result, error: errorCode },
      },
    );
  }

  /**
   * At start-up: attempts left open by a crash or power cut are closed as INTERRUPTED, so no hub
   * stays "flashing" forever and none is ever counted as re-flashed without its proof. What the
   * attempt had stored (verified image, ACTIVATE sent) stays: the next session that reads the
   * target back from the hub records the re-flash with it ({@link flashHistory}).
   */
  recoverUnfinished(): number {
    const open = this.#stmts.unfinished.all();
    for (const attempt of open) {
      const [phase, message] = attempt.activate_at
        ? ['ACTIVATING', 'flashd stopped after ACTIVATE was sent: the hub may run the target; the next session reads its version back']
        : attempt.verified_at
          ? ['VERIFYING', 'flashd stopped after the hub verified the image, before ACTIVATE']
          : ['UNKNOWN', 'flashd stopped before the attempt finished'];
      this.finishAttempt(attempt.id, {
        result: 'INTERRUPTED',
        error: { code: 'SESSION_INTERRUPTED', message, phase },
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
