import { CanaryGuard, type CanaryThresholds, type CanaryView } from './canary-guard.js';
import { slotKey, type GuardAction } from './guard-action.js';
import { classifyOutcome, type GuardOutcome } from './guard-outcome.js';
import { ModelGuard, type ModelThresholds, type ModelView } from './model-guard.js';
import { SlotGuard, type SlotGuardView, type SlotThresholds } from './slot-guard.js';

/** `guards` in the config: each guard's thresholds; `enabled: false` lets every session through. */
export interface GuardThresholds {
  enabled: boolean;
  canary: CanaryThresholds;
  model: ModelThresholds;
  slot: SlotThresholds;
}

export const DEFAULT_GUARD_THRESHOLDS: Readonly<GuardThresholds> = Object.freeze({
  enabled: true,
  canary: Object.freeze({ hubs: 8, concurrent: 2 }),
  model: Object.freeze({ windowSessions: 50, minFailures: 5, maxFailureRate: 0.2 }),
  slot: Object.freeze({ windowSessions: 8, minFaults: 5 }),
});

export type GuardCode = 'MODEL_HALTED' | 'WAITING_CANARY' | 'SLOT_SUSPECT';
export type Admission = { allowed: true; canary: boolean } | { allowed: false; code: GuardCode; reason: string };

export interface GuardsView {
  enabled: boolean;
  canaries: CanaryView[];
  models: ModelView[];
  slots: SlotGuardView[];
}

/**
 * The three quality guards behind one face: outcome events in, decisions out, no clock and no
 * I/O, so a restart replays the recorded actions ({@link apply}) and a property test can drive it.
 * The bench asks {@link slotOpen} before it starts a session and {@link admit} before it lets an
 * identified hub be flashed, and tells it every session's end ({@link finished}).
 */
export class QualityGuards {
  readonly #enabled: boolean;
  readonly canary: CanaryGuard;
  readonly model: ModelGuard;
  readonly slot: SlotGuard;
  /** Slots whose running session the guards admitted to flash: its model, version and whether it is a canary hub. */
  readonly #admitted = new Map<string, { model: string; version: string; canary: boolean }>();

  constructor(thresholds: GuardThresholds = DEFAULT_GUARD_THRESHOLDS) {
    this.#enabled = thresholds.enabled;
    this.canary = new CanaryGuard(thresholds.canary);
    this.model = new ModelGuard(thresholds.model);
    this.slot = new SlotGuard(thresholds.slot);
  }

  /** May a session start in this slot? */
  slotOpen(jig: string, slot: number): Admission {
    if (!this.#enabled || this.slot.status(jig, slot) !== 'SUSPECT') return { allowed: true, canary: false };
    return { allowed: false, code: 'SLOT_SUSPECT', reason: this.slot.reason(jig, slot) ?? `slot ${jig}/${slot} is out of service` };
  }

  /** May the identified hub in the slot be flashed with `version`? An allowed session is remembered until {@link finished}. */
  admit(s: { jig: string; slot: number; model: string; version: string }): Admission {
    if (!this.#enabled) return { allowed: true, canary: false };
    const key = slotKey(s.jig, s.slot);
    const open = this.slotOpen(s.jig, s.slot);
    if (!open.allowed) return open;
    const halted = this.model.halted(s.model, s.version);
    if (halted !== null) return { allowed: false, code: 'MODEL_HALTED', reason: `model ${s.model} image ${s.version} is halted: ${halted}` };
    const canary = this.canary.admit(s.model, s.version, key);
    if (canary.allowed) this.#admitted.set(key, { model: s.model, version: s.version, canary: canary.canary });
    return canary;
  }

  /** What {@link admit} would answer, without counting a canary session. */
  wouldAdmit(s: { jig: string; slot: number; model: string; version: string }): boolean {
    if (!this.#enabled) return true;
    if (!this.slotOpen(s.jig, s.slot).allowed || this.model.halted(s.model, s.version) !== null) return false;
    return this.canary.wouldAdmit(s.model, s.version);
  }

  /** A session ended: returns the actions it causes (to record, log and show). */
  finished(o: GuardOutcome): GuardAction[] {
    if (!this.#enabled) return [];
    const key = slotKey(o.jig, o.slot);
    const admitted = this.#admitted.get(key);
    this.#admitted.delete(key);
    const cls = classifyOutcome(o);
    const actions: GuardAction[] = [];
    if (admitted) {
      const { model, version } = admitted;
      if (admitted.canary) push(actions, this.canary.finished(model, version, key, cls, o.deviceId, o.at, o.errorCode));
      push(actions, this.model.finished(model, version, cls, o.at));
    }
    actions.push(...this.slot.finished(o.jig, o.slot, cls, o.deviceId, o.at));
    return actions;
  }

  /** Replays a recorded action, or applies a supervisor's. */
  apply(action: GuardAction): GuardAction {
    this.canary.apply(action);
    this.model.apply(action);
    this.slot.apply(action);
    return action;
  }

  view(): GuardsView {
    return { enabled: this.#enabled, canaries: this.canary.views(), models: this.model.views(), slots: this.slot.views() };
  }
}

function push(actions: GuardAction[], action: GuardAction | undefined): void {
  if (action) actions.push(action);
}
