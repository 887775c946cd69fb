import { GUARD_SELF, modelKey, type GuardAction } from './guard-action.js';
import type { OutcomeClass } from './guard-outcome.js';

/** `guards.model` in the config (docs/quality-guards.md gives the reasoning). */
export interface ModelThresholds {
  /** Sessions per Device Model and image version the window holds. Default 50. */
  windowSessions: number;
  /** Hub failures in the window that halt the model, with the rate. Default 5. */
  minFailures: number;
  /** Share of the window's sessions that failed, with the count. Default 0.2. */
  maxFailureRate: number;
}

export interface ModelView {
  model: string;
  version: string;
  halted: boolean;
  reason: string | null;
  sessions: number;
  failures: number;
}

interface ModelWindow {
  /** Oldest first; true: the hub failed. */
  outcomes: boolean[];
  halted: string | null;
}

/**
 * The model guard: a sliding window of the last sessions per Device Model and image version. When
 * hub failures reach `minFailures` and `maxFailureRate` of the window together, the model halts:
 * no new session flashes it until a supervisor resumes it (the window starts empty then). Line
 * faults are the slot guard's and are not counted. Pure.
 */
export class ModelGuard {
  readonly #t: ModelThresholds;
  readonly #windows = new Map<string, ModelWindow>();

  constructor(thresholds: ModelThresholds) {
    if (!Number.isInteger(thresholds.windowSessions) || thresholds.windowSessions < 1)
      throw new RangeError(`model windowSessions must be an integer >= 1, got ${thresholds.windowSessions}`);
    if (!Number.isInteger(thresholds.minFailures) || thresholds.minFailures < 1)
      throw new RangeError(`model minFailures must be an integer >= 1, got ${thresholds.minFailures}`);
    if (!(thresholds.maxFailureRate > 0 && thresholds.maxFailureRate <= 1))
      throw new RangeError(`model maxFailureRate must be in (0, 1], got ${thresholds.maxFailureRate}`);
    this.#t = thresholds;
  }

  /** Why the model is halted, or null. */
  halted(model: string, version: string): string | null {
    return this.#windows.get(modelKey(model, version))?.halted ?? null;
  }

  /** A session that flashed `model` with `version` ended; returns MODEL_HALTED when this one tips the window. */
  finished(model: string, version: string, cls: OutcomeClass, at: string): GuardAction | undefined {
    if (cls !== 'pass' && cls !== 'hub-fault') return undefined;
    const w = this.#get(model, version);
    w.outcomes.push(cls === 'hub-fault');
    if (w.outcomes.length > this.#t.windowSessions) w.outcomes.shift();
    if (w.halted !== null) return undefined;
    const failures = w.outcomes.filter(Boolean).length;
    const rate = failures / w.outcomes.length;
    if (failures < this.#t.minFailures || rate < this.#t.maxFailureRate) return undefined;
    const reason = `${failures} of the last ${w.outcomes.length} sessions of model ${model} image ${version} failed (${Math.round(rate * 100)} %; halts at ${this.#t.minFailures} and ${Math.round(this.#t.maxFailureRate * 100)} %)`;
    return this.apply({ kind: 'MODEL_HALTED', model, version, by: GUARD_SELF, reason, at });
  }

  apply(action: GuardAction): GuardAction {
    if (action.model === undefined || action.version === undefined) return action;
    const w = this.#get(action.model, action.version);
    if (action.kind === 'MODEL_HALTED') w.halted = action.reason;
    if (action.kind === 'MODEL_RESUMED') {
      w.halted = null;
      w.outcomes = [];
    }
    return action;
  }

  views(): ModelView[] {
    return [...this.#windows].map(([key, w]) => {
      const [model, version] = key.split('/') as [string, string];
      return { model, version, halted: w.halted !== null, reason: w.halted, sessions: w.outcomes.length, failures: w.outcomes.filter(Boolean).length };
    });
  }

  #get(model: string, version: string): ModelWindow {
    const key = modelKey(model, version);
    let w = this.#windows.get(key);
    if (!w) this.#windows.set(key, (w = { outcomes: [], halted: null }));
    return w;
  }
}
