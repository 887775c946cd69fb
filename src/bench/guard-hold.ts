import type { Admission } from '../domain/quality-guards.js';
import type { BenchDecision } from './decide.js';

/** What a session asks the quality guards (the bench's GuardKeeper). */
export interface SessionGuards {
  admit(session: { jig: string; slot: number; model: string; version: string }): Admission;
}

/** Codes of a hub a guard holds back: it waits in the slot and starts by itself once let through. */
export const HELD_CODES: ReadonlySet<string> = new Set(['WAITING_CANARY', 'MODEL_HALTED']);

/**
 * Asks the guards before a hub is flashed. A held hub is not touched: the session ends REJECTED
 * with the guard's code, no attempt is opened (the hub keeps its state on its work order), and the
 * version it waits for stays in the decision so the bench knows when to try it again.
 */
export function guardDecision(guards: SessionGuards | undefined, hub: { jig: string; slot: number; model: string }, decided: BenchDecision): BenchDecision {
  if (!guards || decided.reply.action !== 'flash' || decided.targetVersion === undefined) return decided;
  const admission = guards.admit({ ...hub, version: decided.targetVersion });
  if (admission.allowed) return decided;
  return {
    targetVersion: decided.targetVersion,
    reply: {
      action: 'finish',
      result: 'REJECTED',
      error: { code: admission.code, message: admission.reason, details: { model: hub.model, version: decided.targetVersion } },
    },
  };
}
