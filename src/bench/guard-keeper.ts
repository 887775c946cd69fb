import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { FlashdError } from '../domain/errors.js';
import type { CanaryStatus } from '../domain/canary-guard.js';
import type { GuardAction, GuardActionKind } from '../domain/guard-action.js';
import type { SlotStatus } from '../domain/slot-guard.js';
import { QualityGuards, type Admission, type GuardsView, type GuardThresholds } from '../domain/quality-guards.js';
import type { GuardActionRecord, GuardStore } from '../store/guard-store.js';
import type { SlotSessionEnd } from './slot-session.js';

export interface GuardKeeperEvents {
  /** A guard halted, passed or released something (recorded before it is told). */
  action: [action: GuardActionRecord];
  /** A session was held by a guard (WAITING_CANARY, MODEL_HALTED, SLOT_SUSPECT). */
  held: [code: Exclude<Admission, { allowed: true }>['code']];
}

export interface GuardKeeperOptions {
  thresholds: GuardThresholds;
  store: Pick<GuardStore, 'record' | 'all' | 'recent'>;
  log: Logger;
  now?: () => Date;
}

/**
 * The bench's side of the quality guards (src/domain/quality-guards.ts): replays the record at
 * construction, asks the pure guards, and records, logs and announces every action they or a
 * supervisor take. An action is on disk before it takes effect in a supervisor's call, and before
 * anyone is told of a guard's own.
 */
export class GuardKeeper extends EventEmitter<GuardKeeperEvents> {
  readonly #guards: QualityGuards;
  readonly #o: GuardKeeperOptions;
  readonly #now: () => Date;

  constructor(options: GuardKeeperOptions) {
    super();
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#guards = new QualityGuards(options.thresholds);
    for (const action of options.store.all()) this.#guards.apply(action);
  }

  slotOpen(jig: string, slot: number): Admission {
    return this.#note(this.#guards.slotOpen(jig, slot));
  }

  admit(session: { jig: string; slot: number; model: string; version: string }): Admission {
    return this.#note(this.#guards.admit(session));
  }

  /** Would {@link admit} let this hub through now? No side effect: the bench asks it for held slots. */
  wouldAdmit(session: { jig: string; slot: number; model: string; version: string }): boolean {
    return this.#guards.wouldAdmit(session);
  }

  canaryStatus(model: string, version: string): CanaryStatus {
    return this.#guards.canary.status(model, version);
  }

  slotStatus(jig: string, slot: number): SlotStatus {
    return this.#guards.slot.status(jig, slot);
  }

  /** Tells the guards a session ended; records and announces what they decide. */
  finished(end: SlotSessionEnd): void {
    const { result } = end;
    const actions = this.#guards.finished({
      jig: end.jig,
      slot: end.slot,
      deviceId: result.identity?.deviceId ?? null,
      model: result.identity?.model ?? null,
      version: result.targetFirmwareVersion ?? null,
      admitted: false,
      result: result.result,
      errorCode: result.error?.code ?? null,
      phase: result.error?.phase ?? null,
      at: this.#now().toISOString(),
    });
    for (const action of actions) {
      try {
        this.#record(action);
      } catch (err) {
        // In force in memory until a restart, which forgets it: the log line is its only record.
        this.#o.log.error({ err, guard: action }, 'could not record a quality guard action');
      }
    }
  }

  /** A supervisor's release or resume. Throws GUARD_NOT_HALTED when there is nothing to release. */
  supervise(
    kind: Extract<GuardActionKind, 'CANARY_RELEASED' | 'MODEL_RESUMED' | 'SLOT_RELEASED' | 'SLOT_SELF_TEST'>,
    subject: { model?: string; version?: string; jig?: string; slot?: number },
    by: string,
    note: string,
  ): GuardActionRecord {
    const refusal = this.#nothingToDo(kind, subject);
    if (refusal) throw new FlashdError('GUARD_NOT_HALTED', refusal, { details: { kind, ...subject } });
    const action: GuardAction = { kind, ...subject, by, reason: note, at: this.#now().toISOString() };
    return this.#record(action);
  }

  view(): GuardsView & { actions: GuardActionRecord[] } {
    return { ...this.#guards.view(), actions: this.#o.store.recent(50) };
  }

  #nothingToDo(kind: string, s: { model?: string; version?: string; jig?: string; slot?: number }): string | undefined {
    if (kind === 'CANARY_RELEASED') {
      const status = this.#guards.canary.status(s.model!, s.version!);
      return status === 'PASSED' ? `model ${s.model} image ${s.version} runs no canary (it passed or was released)` : undefined;
    }
    if (kind === 'MODEL_RESUMED') {
      const halted = this.#guards.model.halted(s.model!, s.version!) !== null || this.#guards.canary.status(s.model!, s.version!) === 'FAILED';
      return halted ? undefined : `model ${s.model} image ${s.version} is not halted`;
    }
    const status = this.#guards.slot.status(s.jig!, s.slot!);
    if (kind === 'SLOT_SELF_TEST') return status === 'SUSPECT' ? undefined : `slot ${s.jig}/${s.slot} is not suspect (${status})`;
    return status === 'IN_SERVICE' ? `slot ${s.jig}/${s.slot} is in service` : undefined;
  }

  #record(action: GuardAction): GuardActionRecord {
    const recorded = this.#o.store.record(action);
    this.#guards.apply(action);
    const halt = action.kind === 'MODEL_HALTED' || action.kind === 'CANARY_FAILED' || action.kind === 'SLOT_SUSPECT';
    this.#o.log[halt ? 'error' : 'warn']({ guard: action }, `quality guard: ${action.kind}`);
    this.emit('action', recorded);
    return recorded;
  }

  #note(admission: Admission): Admission {
    if (!admission.allowed) this.emit('held', admission.code);
    return admission;
  }
}
