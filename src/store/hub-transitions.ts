import { FlashdError } from '../domain/errors.js';
import { transition, type HubEvent, type HubProcess } from '../domain/hub-state.js';
import type { Db } from './open-database.js';
import { inTransaction } from './transaction.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import { toWorkOrderHub, type WorkOrderHubRow } from './work-order-records.js';

/** A committed change of one hub's state on its work order. */
export interface HubTransitionRecord {
  event: HubEvent['type'];
  from: HubProcess;
  to: HubProcess;
  at: string;
  operatorId: string;
  /** The attempt whose start or end this is, for attempt events. */
  attemptId: number | null;
  hub: WorkOrderHubRecord;
}

/**
 * Told about every hub transition inside the transaction that commits it. The N3 outbox (issue 6)
 * is one: its row then commits with the outcome or not at all. Throwing rolls the change back.
 * For an attempt's end (`event === 'attempt-finished'`), the `attempts` row is already final when
 * the sink runs (versions, image and hub SHA-256, jig, slot, operator: read it by `attemptId` on
 * the same connection); the per-device summary in `hubs` is updated just after.
 */
export interface HubTransitionSink {
  committed(change: HubTransitionRecord): void;
}

/** Facts an event records together with the state change. */
export interface TransitionContext {
  at: string;
  operatorId: string;
  attemptId?: number | undefined;
  firmwareBefore?: string | undefined;
  firmwareAfter?: string | undefined;
  targetVersion?: string | undefined;
  /** A flag to add to the hub (kept, never removed). */
  flag?: string | undefined;
  /** More detail for the journal. */
  data?: Record<string, unknown> | undefined;
}

/**
 * The one place a work order hub changes state: the pure state machine decides, this writes the
 * new state with its facts, appends the journal row and tells the sinks, in one transaction.
 */
export class HubTransitions {
  readonly #db: Db;
  readonly #sinks: readonly HubTransitionSink[];
  readonly #get;
  readonly #update;
  readonly #journal;

  constructor(db: Db, sinks: readonly HubTransitionSink[] = []) {
    this.#db = db;
    this.#sinks = sinks;
    this.#get = db.prepare<[string, string], WorkOrderHubRow>('SELECT * FROM work_order_hubs WHERE work_order_id = ? AND device_id = ?');
    this.#update = db.prepare(`UPDATE work_order_hubs SET state = @state, outcome = @outcome, reason_code = @reasonCode, flags_json = @flags,
        firmware_before = COALESCE(firmware_before, @firmwareBefore), firmware_after = COALESCE(@firmwareAfter, firmware_after),
        target_version = COALESCE(@targetVersion, target_version), attempt_count = attempt_count + @attemptInc,
        failed_attempts = failed_attempts + @failedInc, received_at = COALESCE(@receivedAt, received_at),
        received_by = COALESCE(@receivedBy, received_by), outcome_at = COALESCE(@outcomeAt, outcome_at),
        scrap_confirmed_at = COALESCE(@scrapAt, scrap_confirmed_at), scrap_confirmed_by = COALESCE(@scrapBy, scrap_confirmed_by),
        returned_at = COALESCE(@returnedAt, returned_at), returned_by = COALESCE(@returnedBy, returned_by), updated_at = @at
      WHERE work_order_id = @workOrderId AND device_id = @deviceId AND state = @fromState`);
    this.#journal = db.prepare('INSERT INTO work_order_events (work_order_id, device_id, at, kind, operator_id, data_json) VALUES (?, ?, ?, ?, ?, ?)');
  }

  get(workOrderId: string, deviceId: string): WorkOrderHubRecord | undefined {
    const row = this.#get.get(workOrderId, deviceId);
    return row && toWorkOrderHub(row);
  }

  /** Applies `event` to the hub or throws (HUB_TRANSITION_ILLEGAL, NOT_FOUND) having changed nothing. */
  apply(workOrderId: string, deviceId: string, event: HubEvent, ctx: TransitionContext): WorkOrderHubRecord {
    return inTransaction(this.#db, () => {
      const before = this.get(workOrderId, deviceId);
      if (!before) throw new FlashdError('NOT_FOUND', `${deviceId} is not on work order ${workOrderId}`);
      const from: HubProcess = { state: before.state, outcome: before.outcome, reasonCode: before.reasonCode };
      const to = transition(from, event);
      const flags = ctx.flag && !before.flags.includes(ctx.flag) ? [...before.flags, ctx.flag] : before.flags;
      const by = (types: HubEvent['type'][]) => (types.includes(event.type) ? ctx : undefined);
      const received = by(['intake-accepted', 'intake-rejected']);
      const { changes } = this.#update.run({
        workOrderId,
        deviceId,
        fromState: from.state,
        state: to.state,
        outcome: to.outcome,
        reasonCode: to.reasonCode,
        flags: JSON.stringify(flags),
        firmwareBefore: ctx.firmwareBefore ?? null,
        firmwareAfter: ctx.firmwareAfter ?? null,
        targetVersion: ctx.targetVersion ?? null,
        attemptInc: event.type === 'attempt-started' ? 1 : 0,
        failedInc: event.type === 'attempt-finished' && event.attempt.result === 'FAILED' ? 1 : 0,
        receivedAt: received?.at ?? null,
        receivedBy: received?.operatorId ?? null,
        outcomeAt: event.type === 'attempt-finished' ? ctx.at : null,
        scrapAt: by(['scrap-confirmed'])?.at ?? null,
        scrapBy: by(['scrap-confirmed'])?.operatorId ?? null,
        returnedAt: by(['returned'])?.at ?? null,
        returnedBy: by(['returned'])?.operatorId ?? null,
        at: ctx.at,
      });
      if (changes !== 1) throw new FlashdError('STORE_INVALID_STATE', `${deviceId} on ${workOrderId} changed under this transition`);
      const data = { from: from.state, to: to.state, reasonCode: to.reasonCode, attemptId: ctx.attemptId ?? null, ...ctx.data };
      this.#journal.run(workOrderId, deviceId, ctx.at, `hub-${event.type}`, ctx.operatorId, JSON.stringify(data));
      const hub = this.get(workOrderId, deviceId)!;
      const change: HubTransitionRecord = { event: event.type, from, to, at: ctx.at, operatorId: ctx.operatorId, attemptId: ctx.attemptId ?? null, hub };
      for (const sink of this.#sinks) sink.committed(change);
      return hub;
    });
  }

  /** Appends a journal row that is not a hub transition (work order created, a scan refused). */
  journal(workOrderId: string | null, deviceId: string | null, at: string, kind: string, operatorId: string, data: Record<string, unknown> = {}): void {
    this.#journal.run(workOrderId, deviceId, at, kind, operatorId, JSON.stringify(data));
  }
}
