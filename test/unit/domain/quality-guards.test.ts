import { describe, expect, it } from 'vitest';
import { classifyOutcome, type GuardOutcome } from '../../../src/domain/guard-outcome.js';
import { DEFAULT_GUARD_THRESHOLDS, QualityGuards, type GuardThresholds } from '../../../src/domain/quality-guards.js';

const M = '0000C0DE';
const V = '00020000';
const AT = '2026-11-30T12:00:00.000Z';

function outcome(
  jig: string,
  slot: number,
  deviceId: string,
  result: GuardOutcome['result'],
  errorCode: string | null = null,
  phase: GuardOutcome['phase'] = null,
): GuardOutcome {
  return { jig, slot, deviceId, model: M, version: V, admitted: true, result, errorCode, phase, at: AT };
}

function guards(overrides: Partial<GuardThresholds> = {}): QualityGuards {
  return new QualityGuards({ ...DEFAULT_GUARD_THRESHOLDS, ...overrides });
}

describe('classifyOutcome', () => {
  it('tells line faults from hub faults, and ignores what speaks to neither', () => {
    expect(classifyOutcome({ result: 'REFLASHED', errorCode: null, phase: 'DONE' })).toBe('pass');
    expect(classifyOutcome({ result: 'FAILED', errorCode: 'LINE_SUSPECT', phase: 'TRANSFERRING' })).toBe('link-fault');
    expect(classifyOutcome({ result: 'FAILED', errorCode: 'HUB_TIMEOUT', phase: 'TRANSFERRING' })).toBe('link-fault');
    expect(classifyOutcome({ result: 'FAILED', errorCode: 'HUB_TIMEOUT', phase: 'READING_BACK' })).toBe('hub-fault');
    expect(classifyOutcome({ result: 'SCRAP', errorCode: 'READBACK_MISMATCH', phase: 'READING_BACK' })).toBe('hub-fault');
    expect(classifyOutcome({ result: 'FAILED', errorCode: 'HUB_REMOVED', phase: 'TRANSFERRING' })).toBe('ignored');
    expect(classifyOutcome({ result: 'FAILED', errorCode: 'UNLOCK_REFUSED', phase: 'UNLOCKING' })).toBe('ignored');
    expect(classifyOutcome({ result: 'SCRAP', errorCode: 'UNLOCK_LOCKED_OUT', phase: 'UNLOCKING' })).toBe('ignored');
    expect(classifyOutcome({ result: 'FAILED', errorCode: 'HUB_TIMEOUT', phase: 'UNLOCKING' })).toBe('link-fault');
    expect(classifyOutcome({ result: 'INTERRUPTED', errorCode: 'SESSION_INTERRUPTED', phase: 'TRANSFERRING' })).toBe('ignored');
    expect(classifyOutcome({ result: 'REJECTED', errorCode: 'WAITING_CANARY', phase: 'CHECKING' })).toBe('ignored');
  });
});

describe('canary', () => {
  it('lets at most `concurrent` canary hubs flash, holds the rest, and passes after `hubs` first-time passes', () => {
    const g = guards({ canary: { hubs: 3, concurrent: 2 } });
    expect(g.admit({ jig: 'J1', slot: 1, model: M, version: V })).toEqual({ allowed: true, canary: true });
    expect(g.admit({ jig: 'J1', slot: 2, model: M, version: V })).toEqual({ allowed: true, canary: true });
    expect(g.admit({ jig: 'J1', slot: 3, model: M, version: V })).toMatchObject({ allowed: false, code: 'WAITING_CANARY' });
    expect(g.finished(outcome('J1', 1, 'A', 'REFLASHED'))).toEqual([]);
    // Two passed or running: only one more canary hub is needed.
    expect(g.admit({ jig: 'J1', slot: 3, model: M, version: V })).toEqual({ allowed: true, canary: true });
    expect(g.admit({ jig: 'J1', slot: 4, model: M, version: V })).toMatchObject({ allowed: false, code: 'WAITING_CANARY' });
    g.finished(outcome('J1', 2, 'B', 'REFLASHED'));
    const actions = g.finished(outcome('J1', 3, 'C', 'REFLASHED'));
    expect(actions.map((a) => a.kind)).toEqual(['CANARY_PASSED']);
    expect(g.admit({ jig: 'J1', slot: 4, model: M, version: V })).toEqual({ allowed: true, canary: false });
  });

  it('fails on a hub fault and halts the model; a line fault only frees the place', () => {
    const g = guards({ canary: { hubs: 3, concurrent: 2 } });
    g.admit({ jig: 'J1', slot: 1, model: M, version: V });
    g.admit({ jig: 'J1', slot: 2, model: M, version: V });
    expect(g.finished(outcome('J1', 1, 'A', 'FAILED', 'LINE_SUSPECT', 'TRANSFERRING')).map((a) => a.kind)).toEqual([]);
    expect(g.canary.status(M, V)).toBe('RUNNING');
    expect(g.finished(outcome('J1', 2, 'B', 'FAILED', 'READBACK_MISMATCH', 'READING_BACK')).map((a) => a.kind)).toEqual(['CANARY_FAILED']);
    expect(g.admit({ jig: 'J1', slot: 3, model: M, version: V })).toMatchObject({ allowed: false, code: 'MODEL_HALTED' });
    // A resume runs a new canary.
    g.apply({ kind: 'MODEL_RESUMED', model: M, version: V, by: 'sup', reason: 'new batch of images', at: AT });
    expect(g.admit({ jig: 'J1', slot: 3, model: M, version: V })).toEqual({ allowed: true, canary: true });
  });

  it('a supervisor release lets every hub through; a replayed pass survives a new guard (restart)', () => {
    const g = guards();
    const release = g.apply({ kind: 'CANARY_RELEASED', model: M, version: V, by: 'sup', reason: 'vendor-tested', at: AT });
    expect(g.admit({ jig: 'J1', slot: 1, model: M, version: V })).toEqual({ allowed: true, canary: false });
    const after = guards();
    after.apply(release);
    expect(after.canary.status(M, V)).toBe('PASSED');
  });
});

describe('model guard', () => {
  const noCanary = { canary: { hubs: 0, concurrent: 1 } };

  it('halts at minFailures and the rate together, lets in-flight sessions end, and resumes on a supervisor action', () => {
    const g = guards({ ...noCanary, model: { windowSessions: 10, minFailures: 3, maxFailureRate: 0.3 } });
    const run = (slot: number, result: GuardOutcome['result'], code: string | null = null) => {
      expect(g.admit({ jig: 'J1', slot, model: M, version: V }).allowed).toBe(true);
      return g.finished(outcome('J1', slot, `H${slot}`, result, code, 'READING_BACK')).map((a) => a.kind);
    };
    for (let i = 0; i < 5; i++) run(1, 'REFLASHED');
    expect(run(2, 'FAILED', 'VERIFY_MISMATCH')).toEqual([]);
    expect(run(3, 'FAILED', 'VERIFY_MISMATCH')).toEqual([]);
    // 3 of 8 = 37 %: over both.
    g.admit({ jig: 'J1', slot: 5, model: M, version: V });
    expect(run(4, 'FAILED', 'VERIFY_MISMATCH')).toContain('MODEL_HALTED');
    expect(g.admit({ jig: 'J1', slot: 6, model: M, version: V })).toMatchObject({ allowed: false, code: 'MODEL_HALTED' });
    // The session admitted before the halt still ends and is counted; it starts nothing.
    expect(g.finished(outcome('J1', 5, 'H5', 'REFLASHED'))).toEqual([]);
    g.apply({ kind: 'MODEL_RESUMED', model: M, version: V, by: 'sup', reason: 'bad batch of pins replaced', at: AT });
    expect(g.admit({ jig: 'J1', slot: 6, model: M, version: V }).allowed).toBe(true);
  });

  it('does not count line faults against the model', () => {
    const g = guards({ ...noCanary, model: { windowSessions: 10, minFailures: 2, maxFailureRate: 0.1 }, slot: { windowSessions: 100, minFaults: 100 } });
    for (let i = 0; i < 10; i++) {
      g.admit({ jig: 'J1', slot: 1, model: M, version: V });
      g.finished(outcome('J1', 1, `H${i}`, 'FAILED', 'LINE_SUSPECT', 'TRANSFERRING'));
    }
    expect(g.model.halted(M, V)).toBeNull();
  });
});

describe('slot guard', () => {
  const noCanary = { canary: { hubs: 0, concurrent: 1 } };

  it('takes a slot out after minFaults line faults in its window; the others keep working', () => {
    const g = guards({ ...noCanary, slot: { windowSessions: 8, minFaults: 3 } });
    for (let i = 0; i < 2; i++) expect(g.finished(outcome('J1', 4, `H${i}`, 'FAILED', 'LINE_SUSPECT', 'TRANSFERRING'))).toEqual([]);
    expect(g.finished(outcome('J1', 4, 'H2', 'FAILED', 'TRANSFER_FAILED', 'TRANSFERRING')).map((a) => [a.kind, a.jig, a.slot])).toEqual([
      ['SLOT_SUSPECT', 'J1', 4],
    ]);
    expect(g.slotOpen('J1', 4)).toMatchObject({ allowed: false, code: 'SLOT_SUSPECT' });
    expect(g.slotOpen('J1', 5)).toEqual({ allowed: true, canary: false });
  });

  it('blames the slot for a hub failure once the same hub passes in another slot', () => {
    const g = guards({ ...noCanary, slot: { windowSessions: 8, minFaults: 2 } });
    g.finished(outcome('J1', 2, 'A', 'FAILED', 'VERIFY_MISMATCH', 'VERIFYING'));
    g.finished(outcome('J1', 2, 'B', 'FAILED', 'VERIFY_MISMATCH', 'VERIFYING'));
    expect(g.slot.status('J1', 2)).toBe('IN_SERVICE');
    expect(g.finished(outcome('J1', 3, 'A', 'REFLASHED'))).toEqual([]);
    expect(g.finished(outcome('J1', 5, 'B', 'REFLASHED')).map((a) => [a.kind, a.slot])).toEqual([['SLOT_SUSPECT', 2]]);
  });

  it('comes back after a passing self-test or a release, not after a failing one', () => {
    const g = guards({ ...noCanary, slot: { windowSessions: 4, minFaults: 1 } });
    g.finished(outcome('J1', 1, 'A', 'FAILED', 'LINE_SUSPECT', 'TRANSFERRING'));
    g.apply({ kind: 'SLOT_SELF_TEST', jig: 'J1', slot: 1, by: 'sup', reason: 'pins cleaned', at: AT });
    expect(g.slotOpen('J1', 1).allowed).toBe(true);
    expect(g.finished(outcome('J1', 1, 'B', 'FAILED', 'LINE_SUSPECT', 'TRANSFERRING')).map((a) => a.kind)).toEqual(['SLOT_SUSPECT']);
    g.apply({ kind: 'SLOT_SELF_TEST', jig: 'J1', slot: 1, by: 'sup', reason: 'pins replaced', at: AT });
    expect(g.finished(outcome('J1', 1, 'C', 'REFLASHED')).map((a) => a.kind)).toEqual(['SLOT_RELEASED']);
    expect(g.slot.status('J1', 1)).toBe('IN_SERVICE');
  });

  it('refuses a threshold it can never reach', () => {
    expect(() => guards({ slot: { windowSessions: 3, minFaults: 4 } })).toThrow(RangeError);
  });
});
