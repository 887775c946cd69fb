import type { GuardAction } from '../../src/domain/guard-action.js';
import type { GuardOutcome } from '../../src/domain/guard-outcome.js';
import { DEFAULT_GUARD_THRESHOLDS, QualityGuards, type GuardThresholds } from '../../src/domain/quality-guards.js';

/** mulberry32: a seeded PRNG so a failure here can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['0000C0DE', '0000BEEF', '00001234'];
const V = '00020000';
const JIGS = ['J1', 'J2'];
const AT = '2026-11-30T12:00:00.000Z';

export interface Rates {
  /** Chance a session fails in a way the hub explains (hash, read-back). */
  hub: number;
  /** Chance a session fails on the line. */
  link: number;
  /** Slots (jig/slot) whose line fails this often instead. */
  badSlots?: Map<string, number>;
  /** Models whose image fails this often instead of `hub`. */
  badModels?: Map<string, number>;
}

/**
 * A bench of 2 jigs x 8 slots flashing three models whose canaries passed, one session after another
 * on a random slot. A failed hub is retried in another slot, as a technician moves it. Returns every
 * guard action that was not a canary pass.
 */
export function simulate(sessions: number, rates: Rates, seed: number, thresholds: GuardThresholds = DEFAULT_GUARD_THRESHOLDS): GuardAction[] {
  const rand = prng(seed);
  const guards = new QualityGuards(thresholds);
  for (const model of MODELS) guards.apply({ kind: 'CANARY_PASSED', model, version: V, by: 'flashd', reason: 'earlier', at: AT });
  const halts: GuardAction[] = [];
  const retries: Array<{ deviceId: string; model: string; from: string }> = [];
  let next = 0;
  for (let i = 0; i < sessions; i++) {
    const jig = JIGS[Math.floor(rand() * JIGS.length)]!;
    const slot = 1 + Math.floor(rand() * 8);
    const here = `${jig}/${slot}`;
    if (!guards.slotOpen(jig, slot).allowed) continue;
    const retryAt = retries.findIndex((r) => r.from !== here);
    const hub = retryAt >= 0 ? retries.splice(retryAt, 1)[0]! : { deviceId: `H${next++}`, model: MODELS[Math.floor(rand() * MODELS.length)]!, from: '' };
    if (!guards.admit({ jig, slot, model: hub.model, version: V }).allowed) continue;
    const r = rand();
    const link = rates.badSlots?.get(here) ?? rates.link;
    const hubRate = rates.badModels?.get(hub.model) ?? rates.hub;
    const [result, errorCode, phase]: [GuardOutcome['result'], string | null, GuardOutcome['phase']] =
      r < link ? ['FAILED', 'LINE_SUSPECT', 'TRANSFERRING'] : r < link + hubRate ? ['FAILED', 'VERIFY_MISMATCH', 'VERIFYING'] : ['REFLASHED', null, 'DONE'];
    if (result === 'FAILED') retries.push({ ...hub, from: here });
    halts.push(...guards.finished({ jig, slot, deviceId: hub.deviceId, model: hub.model, version: V, admitted: true, result, errorCode, phase, at: AT }));
  }
  return halts;
}
