import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFlashdError } from '../../../src/domain/errors.js';
import {
  EXPECTED_HUB,
  HUB_STATES,
  TERMINAL_STATES,
  isLegalHubProcess,
  transition,
  type FinishedAttempt,
  type HubEvent,
  type HubProcess,
  type HubState,
} from '../../../src/domain/hub-state.js';
import { ATTEMPT_RESULTS } from '../../../src/domain/outcomes.js';

/** The graph as docs/work-orders.md draws it, written out independently of the implementation. */
const ALLOWED: ReadonlyArray<[HubState, HubEvent['type'], HubState]> = [
  ['EXPECTED', 'intake-accepted', 'ACCEPTED'],
  ['EXPECTED', 'intake-rejected', 'REJECTED'],
  ['EXPECTED', 'not-received', 'NOT_RECEIVED'],
  ['ACCEPTED', 'attempt-started', 'FLASHING'],
  ['FAILED', 'attempt-started', 'FLASHING'],
  ...(['REFLASHED', 'ALREADY_CURRENT', 'REJECTED', 'FAILED', 'SCRAP_PROPOSED'] as const).map((to): [HubState, HubEvent['type'], HubState] => [
    'FLASHING',
    'attempt-finished',
    to,
  ]),
  ['SCRAP_PROPOSED', 'scrap-confirmed', 'SCRAPPED'],
  ['FAILED', 'scrap-confirmed', 'SCRAPPED'],
  ['REFLASHED', 'returned', 'RETURNED'],
  ['ALREADY_CURRENT', 'returned', 'RETURNED'],
  ['REJECTED', 'returned', 'RETURNED'],
];
const allowed = (from: HubState, event: HubEvent['type'], to: HubState) => ALLOWED.some(([f, e, t]) => f === from && e === event && t === to);

const attempt = (over: Partial<FinishedAttempt> = {}): FinishedAttempt => ({
  result: 'FAILED',
  errorCode: 'HUB_TIMEOUT',
  failedAttempts: 1,
  sameErrorBefore: 0,
  maxAttempts: 3,
  verifiedEarlier: false,
  ...over,
});
const finished = (over: Partial<FinishedAttempt>): HubEvent => ({ type: 'attempt-finished', attempt: attempt(over) });
const run = (...events: HubEvent[]): HubProcess => events.reduce(transition, EXPECTED_HUB);
const flashing = [{ type: 'intake-accepted' }, { type: 'attempt-started' }] as const satisfies HubEvent[];

const eventArb: fc.Arbitrary<HubEvent> = fc.oneof(
  fc.constant<HubEvent>({ type: 'intake-accepted' }),
  fc.constantFrom('SMI_STATUS_NOT_PENDING', 'NOT_SMETS2').map((code): HubEvent => ({ type: 'intake-rejected', code })),
  { arbitrary: fc.constant<HubEvent>({ type: 'attempt-started' }), weight: 3 },
  {
    arbitrary: fc
      .record({
        result: fc.constantFrom(...ATTEMPT_RESULTS),
        errorCode: fc.constantFrom(null, 'HUB_TIMEOUT', 'UNLOCK_REFUSED', 'UNLOCK_LOCKED_OUT', 'VERIFY_MISMATCH', 'READBACK_MISMATCH', 'DOWNGRADE_REFUSED'),
        failedAttempts: fc.integer({ min: 0, max: 6 }),
        sameErrorBefore: fc.integer({ min: 0, max: 3 }),
        maxAttempts: fc.integer({ min: 1, max: 5 }),
        verifiedEarlier: fc.boolean(),
      })
      .map((a): HubEvent => ({ type: 'attempt-finished', attempt: a })),
    weight: 3,
  },
  fc.constant<HubEvent>({ type: 'scrap-confirmed' }),
  fc.constant<HubEvent>({ type: 'returned' }),
  fc.constant<HubEvent>({ type: 'not-received' }),
);

describe('hub state machine', () => {
  it('reaches no illegal state from any sequence of events, refusing every step the graph does not allow', () => {
    const reached = new Set<HubState>();
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        let hub = EXPECTED_HUB;
        let accepted = false;
        let reflashProof = false;
        for (const event of events) {
          let next: HubProcess;
          try {
            next = transition(hub, event);
          } catch (err) {
            expect(isFlashdError(err, 'HUB_TRANSITION_ILLEGAL')).toBe(true);
            expect(ALLOWED.some(([f, e]) => f === hub.state && e === event.type) && event.type !== 'attempt-finished').toBe(false);
            continue;
          }
          expect(isLegalHubProcess(next), `${hub.state} --${event.type}--> ${next.state}/${next.outcome}`).toBe(true);
          expect(allowed(hub.state, event.type, next.state), `${hub.state} --${event.type}--> ${next.state}`).toBe(true);
          expect(TERMINAL_STATES).not.toContain(hub.state);
          if (event.type === 'intake-accepted') accepted = true;
          if (
            event.type === 'attempt-finished' &&
            (event.attempt.result === 'REFLASHED' || (event.attempt.result === 'ALREADY_CURRENT' && event.attempt.verifiedEarlier))
          )
            reflashProof = true;
          // Never flashed without intake; never re-flashed without an attempt that proved it.
          if (next.state === 'FLASHING') expect(accepted).toBe(true);
          if (next.outcome === 'REFLASHED') expect(reflashProof).toBe(true);
          hub = next;
          reached.add(hub.state);
        }
      }),
      { numRuns: 2000 },
    );
    // The property explored the whole graph, so it could have failed anywhere.
    expect([...reached].sort()).toEqual(HUB_STATES.filter((s) => s !== 'EXPECTED').sort());
  });

  it('keeps the rules of the former hub-outcome: verified firmware is not undone, an interruption is never success', () => {
    expect(run(...flashing, finished({ result: 'REFLASHED' }))).toMatchObject({ state: 'REFLASHED', outcome: 'REFLASHED' });
    // A re-flashed hub takes no further attempt: a later failure cannot turn it back.
    expect(() => run(...flashing, finished({ result: 'REFLASHED' }), { type: 'attempt-started' })).toThrow(/REFLASHED cannot take "attempt-started"/);
    // Current after our own verified flash (read-back lost on the first try) is REFLASHED, the charge basis.
    expect(run(...flashing, finished({ result: 'ALREADY_CURRENT', verifiedEarlier: true }))).toMatchObject({ state: 'REFLASHED', outcome: 'REFLASHED' });
    expect(run(...flashing, finished({ result: 'ALREADY_CURRENT' }))).toMatchObject({ state: 'ALREADY_CURRENT' });
    expect(run(...flashing, finished({ result: 'INTERRUPTED', errorCode: null }))).toEqual({
      state: 'FAILED',
      outcome: 'FAILED',
      reasonCode: 'SESSION_INTERRUPTED',
    });
    const failed = run(...flashing, finished({ result: 'FAILED' }));
    expect(transition(transition(failed, { type: 'attempt-started' }), finished({ result: 'REJECTED', errorCode: 'DOWNGRADE_REFUSED' }))).toMatchObject({
      state: 'REJECTED',
      reasonCode: 'DOWNGRADE_REFUSED',
    });
  });

  it('proposes scrap for a locked-out hub, a repeated verify mismatch, or too many failures; a technician makes it final', () => {
    expect(run(...flashing, finished({ errorCode: 'UNLOCK_LOCKED_OUT' }))).toEqual({
      state: 'SCRAP_PROPOSED',
      outcome: 'SCRAP',
      reasonCode: 'UNLOCK_LOCKED_OUT',
    });
    expect(run(...flashing, finished({ errorCode: 'VERIFY_MISMATCH' })).state).toBe('FAILED');
    expect(run(...flashing, finished({ errorCode: 'VERIFY_MISMATCH', sameErrorBefore: 1, failedAttempts: 2 })).reasonCode).toBe('VERIFY_MISMATCH');
    expect(run(...flashing, finished({ failedAttempts: 2 })).state).toBe('FAILED');
    expect(run(...flashing, finished({ failedAttempts: 3 }))).toMatchObject({ state: 'SCRAP_PROPOSED', reasonCode: 'ATTEMPTS_EXHAUSTED' });
    const proposed = run(...flashing, finished({ failedAttempts: 3 }));
    expect(() => transition(proposed, { type: 'attempt-started' })).toThrow(/SCRAP_PROPOSED/);
    expect(() => transition(proposed, { type: 'returned' })).toThrow(/SCRAP_PROPOSED/);
    expect(transition(proposed, { type: 'scrap-confirmed' })).toEqual({ state: 'SCRAPPED', outcome: 'SCRAP', reasonCode: 'ATTEMPTS_EXHAUSTED' });
  });

  it('returns a hub with the outcome it goes back with, and refuses to return one in process', () => {
    expect(run({ type: 'intake-rejected', code: 'SMI_STATUS_NOT_PENDING' }, { type: 'returned' })).toEqual({
      state: 'RETURNED',
      outcome: 'REJECTED',
      reasonCode: 'SMI_STATUS_NOT_PENDING',
    });
    expect(() => run({ type: 'intake-accepted' }, { type: 'returned' })).toThrow(/ACCEPTED cannot take "returned"/);
    expect(() => run({ type: 'returned' })).toThrow(/EXPECTED/);
  });
});
