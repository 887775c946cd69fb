import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuardAction } from '../../../src/domain/guard-action.js';
import { DEFAULT_GUARD_THRESHOLDS, QualityGuards } from '../../../src/domain/quality-guards.js';

const MODELS = ['0000C0DE', '0000BEEF'] as const;
const V = '00020000';
const AT = '2026-11-30T12:00:00.000Z';
const RESULTS = [
  ['REFLASHED', null, 'DONE'],
  ['FAILED', 'VERIFY_MISMATCH', 'VERIFYING'],
  ['SCRAP', 'READBACK_MISMATCH', 'READING_BACK'],
  ['FAILED', 'LINE_SUSPECT', 'TRANSFERRING'],
  ['FAILED', 'HUB_TIMEOUT', 'TRANSFERRING'],
  ['INTERRUPTED', 'SESSION_INTERRUPTED', 'TRANSFERRING'],
  ['FAILED', 'HUB_REMOVED', 'UNLOCKING'],
] as const;

type Command =
  | { t: 'admit'; slot: number; model: number }
  | { t: 'finish'; slot: number; result: number; hub: number }
  | { t: 'release-canary'; model: number }
  | { t: 'resume'; model: number }
  | { t: 'release-slot'; slot: number }
  | { t: 'restart' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('admit' as const), slot: fc.integer({ min: 1, max: 8 }), model: fc.integer({ min: 0, max: 1 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('finish' as const),
      slot: fc.integer({ min: 1, max: 8 }),
      result: fc.integer({ min: 0, max: RESULTS.length - 1 }),
      hub: fc.integer({ min: 0, max: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release-canary' as const), model: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('resume' as const), model: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release-slot' as const), slot: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
);

const thresholds = fc.record({
  enabled: fc.constant(true),
  canary: fc.record({ hubs: fc.integer({ min: 0, max: 4 }), concurrent: fc.integer({ min: 1, max: 3 }) }),
  model: fc.record({
    windowSessions: fc.integer({ min: 1, max: 12 }),
    minFailures: fc.integer({ min: 1, max: 4 }),
    maxFailureRate: fc.double({ min: 0.05, max: 1, noNaN: true }),
  }),
  slot: fc
    .integer({ min: 1, max: 6 })
    .chain((windowSessions) => fc.record({ windowSessions: fc.constant(windowSessions), minFaults: fc.integer({ min: 1, max: windowSessions }) })),
});

describe('quality guards (property)', () => {
  it('a halted model starts no new session until a supervisor resumes it (or releases the canary that halted it), across restarts that replay the record', () => {
    fc.assert(
      fc.property(thresholds, fc.array(command, { maxLength: 300 }), (t, commands) => {
        let guards = new QualityGuards(t);
        const recorded: GuardAction[] = [];
        // A model halts two ways: its window (MODEL_HALTED, only a resume lifts it) or its failed
        // canary (CANARY_FAILED, lifted by a resume or a canary release: docs/quality-guards.md §1).
        const windowHalted = new Set<string>();
        const canaryFailed = new Set<string>();
        const suspect = new Set<number>();
        const running = new Map<number, string>();
        const record = (actions: GuardAction[]): void => {
          for (const a of actions) {
            recorded.push(a);
            if (a.kind === 'MODEL_HALTED' && a.model) windowHalted.add(a.model);
            if (a.kind === 'CANARY_FAILED' && a.model) canaryFailed.add(a.model);
            if (a.kind === 'CANARY_RELEASED' && a.model) canaryFailed.delete(a.model);
            if (a.kind === 'MODEL_RESUMED' && a.model) {
              windowHalted.delete(a.model);
              canaryFailed.delete(a.model);
            }
            if (a.kind === 'SLOT_SUSPECT' && a.slot !== undefined) suspect.add(a.slot);
            if (a.kind === 'SLOT_RELEASED' && a.slot !== undefined) suspect.delete(a.slot);
          }
        };
        const supervisor = (a: Omit<GuardAction, 'by' | 'reason' | 'at'>): void => record([guards.apply({ ...a, by: 'sup', reason: 'note', at: AT })]);
        for (const c of commands) {
          switch (c.t) {
            case 'admit': {
              if (running.has(c.slot)) break;
              const model = MODELS[c.model]!;
              const open = guards.slotOpen('J1', c.slot);
              if (suspect.has(c.slot)) expect(open.allowed).toBe(false);
              if (!open.allowed) break;
              const admission = guards.admit({ jig: 'J1', slot: c.slot, model, version: V });
              if (windowHalted.has(model) || canaryFailed.has(model)) expect(admission).toMatchObject({ allowed: false, code: 'MODEL_HALTED' });
              if (admission.allowed) running.set(c.slot, model);
              break;
            }
            case 'finish': {
              const model = running.get(c.slot) ?? MODELS[0];
              running.delete(c.slot);
              const [result, errorCode, phase] = RESULTS[c.result]!;
              record(guards.finished({ jig: 'J1', slot: c.slot, deviceId: `H${c.hub}`, model, version: V, admitted: true, result, errorCode, phase, at: AT }));
              break;
            }
            case 'release-canary':
              supervisor({ kind: 'CANARY_RELEASED', model: MODELS[c.model]!, version: V });
              break;
            case 'resume':
              supervisor({ kind: 'MODEL_RESUMED', model: MODELS[c.model]!, version: V });
              break;
            case 'release-slot':
              supervisor({ kind: 'SLOT_RELEASED', jig: 'J1', slot: c.slot });
              break;
            case 'restart':
              // In-flight sessions end with the process; the record is what the new process knows.
              guards = new QualityGuards(t);
              for (const a of recorded) guards.apply(a);
              running.clear();
              break;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the defaults are valid thresholds', () => {
    expect(() => new QualityGuards(DEFAULT_GUARD_THRESHOLDS)).not.toThrow();
  });
});
