import { GUARD_SELF, modelKey, type GuardAction } from './guard-action.js';
import type { OutcomeClass } from './guard-outcome.js';

/** `guards.canary` in the config (docs/quality-guards.md gives the reasoning). */
export interface CanaryThresholds {
  /** Hubs that must pass first time before the rest of the model is flashed; 0 turns the canary off. Default 8. */
  hubs: number;
  /** Canary sessions at once. Default 2. */
  concurrent: number;
}

export type CanaryStatus = 'RUNNING' | 'PASSED' | 'FAILED';

export interface CanaryView {
  model: string;
  version: string;
  status: CanaryStatus;
  passed: number;
  running: number;
  hubs: number;
  reason: string | null;
}

interface Canary {
  status: CanaryStatus;
  passed: Set<string>;
  running: Set<string>;
  reason: string | null;
}

export type CanaryAdmission = { allowed: true; canary: boolean } | { allowed: false; code: 'WAITING_CANARY' | 'MODEL_HALTED'; reason: string };

/**
 * The image canary. A model's image version with no recorded pass is RUNNING: at most
 * `concurrent` canary sessions at once and only as many as could still be needed; every other hub
 * of the model waits. Each canary hub must end REFLASHED on its first canary session; a hub
 * failure fails the canary (the model stops until a supervisor resumes it); a line fault or an
 * interruption does not count either way, so another hub takes its place. Pure.
 */
export class CanaryGuard {
  readonly #t: CanaryThresholds;
  readonly #canaries = new Map<string, Canary>();

  constructor(thresholds: CanaryThresholds) {
    if (!Number.isInteger(thresholds.hubs) || thresholds.hubs < 0) throw new RangeError(`canary hubs must be an integer >= 0, got ${thresholds.hubs}`);
    if (!Number.isInteger(thresholds.concurrent) || thresholds.concurrent < 1)
      throw new RangeError(`canary concurrent must be an integer >= 1, got ${thresholds.concurrent}`);
    this.#t = thresholds;
  }

  /** May the hub in `slot` (a `jig/slot` key) be flashed with this model's `version`? Counts it as running when it is a canary hub. */
  admit(model: string, version: string, slot: string): CanaryAdmission {
    if (this.#t.hubs === 0) return { allowed: true, canary: false };
    const c = this.#get(model, version);
    switch (c.status) {
      case 'PASSED':
        return { allowed: true, canary: false };
      case 'FAILED':
        return { allowed: false, code: 'MODEL_HALTED', reason: `the canary of model ${model} image ${version} failed: ${c.reason ?? ''}` };
      case 'RUNNING':
        if (c.running.size < this.#t.concurrent && c.passed.size + c.running.size < this.#t.hubs) {
          c.running.add(slot);
          return { allowed: true, canary: true };
        }
        return {
          allowed: false,
          code: 'WAITING_CANARY',
          reason: `waiting for the canary of model ${model} image ${version}: ${c.passed.size} of ${this.#t.hubs} hubs passed, ${c.running.size} flashing`,
        };
    }
  }

  /** What {@link admit} would answer, without counting anything. */
  wouldAdmit(model: string, version: string): boolean {
    if (this.#t.hubs === 0) return true;
    const c = this.#get(model, version);
    return c.status === 'PASSED' || (c.status === 'RUNNING' && c.running.size < this.#t.concurrent && c.passed.size + c.running.size < this.#t.hubs);
  }

  /** A canary session on `slot` ended: returns CANARY_PASSED or CANARY_FAILED when this decides it. */
  finished(
    model: string,
    version: string,
    slot: string,
    cls: OutcomeClass,
    deviceId: string | null,
    at: string,
    errorCode: string | null,
  ): GuardAction | undefined {
    const c = this.#canaries.get(modelKey(model, version));
    if (!c?.running.delete(slot) || c.status !== 'RUNNING') return undefined;
    if (cls === 'hub-fault') {
      const reason = `canary hub ${deviceId ?? '?'} failed (${errorCode ?? 'no code'}) after ${c.passed.size} of ${this.#t.hubs} passed`;
      return this.apply({ kind: 'CANARY_FAILED', model, version, by: GUARD_SELF, reason, at });
    }
    if (cls !== 'pass' || deviceId === null) return undefined;
    c.passed.add(deviceId);
    if (c.passed.size < this.#t.hubs) return undefined;
    return this.apply({
      kind: 'CANARY_PASSED',
      model,
      version,
      by: GUARD_SELF,
      reason: `${c.passed.size} canary hubs re-flashed and read back first time`,
      at,
    });
  }

  /** Applies a recorded or a supervisor's action (returns it, for chaining). */
  apply(action: GuardAction): GuardAction {
    if (action.model === undefined || action.version === undefined) return action;
    const c = this.#get(action.model, action.version);
    switch (action.kind) {
      case 'CANARY_PASSED':
      case 'CANARY_RELEASED':
        c.status = 'PASSED';
        c.reason = action.reason;
        break;
      case 'CANARY_FAILED':
        c.status = 'FAILED';
        c.reason = action.reason;
        break;
      case 'MODEL_RESUMED':
        // A resumed model runs a new canary if its last one failed: the fix must prove itself too.
        if (c.status === 'FAILED') this.#canaries.set(modelKey(action.model, action.version), fresh());
        break;
      default:
        break;
    }
    return action;
  }

  status(model: string, version: string): CanaryStatus {
    return this.#t.hubs === 0 ? 'PASSED' : this.#get(model, version).status;
  }

  views(): CanaryView[] {
    return [...this.#canaries].map(([key, c]) => {
      const [model, version] = key.split('/') as [string, string];
      return { model, version, status: c.status, passed: c.passed.size, running: c.running.size, hubs: this.#t.hubs, reason: c.reason };
    });
  }

  #get(model: string, version: string): Canary {
    const key = modelKey(model, version);
    let c = this.#canaries.get(key);
    if (!c) this.#canaries.set(key, (c = fresh()));
    return c;
  }
}

function fresh(): Canary {
  return { status: 'RUNNING', passed: new Set(), running: new Set(), reason: null };
}
