import { FlashdError } from './errors.js';
import type { AttemptResult, Outcome } from './outcomes.js';
import { failureDisposition, type FailedAttemptFacts } from './scrap-policy.js';

/**
 * Where a hub is in the MP155 process on one work order (docs/work-orders.md draws the graph):
 *
 * EXPECTED → ACCEPTED | REJECTED | NOT_RECEIVED;  ACCEPTED, FAILED → FLASHING;
 * FLASHING → REFLASHED | ALREADY_CURRENT | REJECTED | FAILED | SCRAP_PROPOSED;
 * SCRAP_PROPOSED, FAILED → SCRAPPED (a technician confirms, R-001);
 * REFLASHED, ALREADY_CURRENT, REJECTED → RETURNED (ready to return, then returned to the party).
 */
export const HUB_STATES = [
  'EXPECTED',
  'ACCEPTED',
  'REJECTED',
  'FLASHING',
  'REFLASHED',
  'ALREADY_CURRENT',
  'FAILED',
  'SCRAP_PROPOSED',
  'SCRAPPED',
  'RETURNED',
  'NOT_RECEIVED',
] as const;
export type HubState = (typeof HUB_STATES)[number];

/** Nothing more happens to a hub on this work order; it may appear on a new one. */
export const TERMINAL_STATES: readonly HubState[] = ['RETURNED', 'SCRAPPED', 'NOT_RECEIVED'];
/** "Ready to return": the hub has its outcome and goes back to its party. */
export const RETURNABLE_STATES: readonly HubState[] = ['REFLASHED', 'ALREADY_CURRENT', 'REJECTED'];
/** A session may work on the hub. */
export const FLASHABLE_STATES: readonly HubState[] = ['ACCEPTED', 'FAILED'];

/**
 * The state, and the outcome the hub carries. The outcome survives RETURNED (the manifest and the
 * charges need to know what went back) and SCRAPPED; `reasonCode` says why it was rejected, failed
 * or proposed for scrap.
 */
export interface HubProcess {
  state: HubState;
  outcome: Outcome | null;
  reasonCode: string | null;
}

export type HubEvent =
  | { type: 'intake-accepted' }
  | { type: 'intake-rejected'; code: string }
  | { type: 'attempt-started' }
  | { type: 'attempt-finished'; attempt: FinishedAttempt }
  | { type: 'scrap-confirmed' }
  | { type: 'returned' }
  | { type: 'not-received' };

export interface FinishedAttempt extends Omit<FailedAttemptFacts, 'errorCode'> {
  result: AttemptResult;
  errorCode: string | null;
  /** An earlier attempt on this work order had the hub verify the image: our flash is what made it current. */
  verifiedEarlier: boolean;
}

export const EXPECTED_HUB: HubProcess = Object.freeze({ state: 'EXPECTED', outcome: null, reasonCode: null });

/**
 * The only way a hub's process state changes. Pure: the store applies the result in the same
 * transaction that records why. An event the state does not allow throws HUB_TRANSITION_ILLEGAL.
 */
export function transition(hub: HubProcess, event: HubEvent): HubProcess {
  const next = step(hub, event);
  if (!next) {
    throw new FlashdError('HUB_TRANSITION_ILLEGAL', `a hub in state ${hub.state} cannot take "${event.type}"`, {
      details: { state: hub.state, event: event.type },
    });
  }
  return next;
}

function step(hub: HubProcess, event: HubEvent): HubProcess | undefined {
  const { state } = hub;
  switch (event.type) {
    case 'intake-accepted':
      return state === 'EXPECTED' ? { state: 'ACCEPTED', outcome: null, reasonCode: null } : undefined;
    case 'intake-rejected':
      return state === 'EXPECTED' ? { state: 'REJECTED', outcome: 'REJECTED', reasonCode: event.code } : undefined;
    case 'not-received':
      return state === 'EXPECTED' ? { state: 'NOT_RECEIVED', outcome: null, reasonCode: null } : undefined;
    case 'attempt-started':
      return FLASHABLE_STATES.includes(state) ? { ...hub, state: 'FLASHING' } : undefined;
    case 'attempt-finished':
      return state === 'FLASHING' ? finished(event.attempt) : undefined;
    case 'scrap-confirmed':
      return state === 'SCRAP_PROPOSED' || state === 'FAILED' ? { state: 'SCRAPPED', outcome: 'SCRAP', reasonCode: hub.reasonCode } : undefined;
    case 'returned':
      return RETURNABLE_STATES.includes(state) ? { ...hub, state: 'RETURNED' } : undefined;
  }
}

/**
 * Keeps the rules of the former hub-outcome.ts: an interruption is FAILED (retryable, never
 * success), and firmware verified on the hub is not undone by a later look: an attempt that finds
 * the hub current after our own verified flash counts as REFLASHED (it is the charge basis).
 */
function finished(a: FinishedAttempt): HubProcess {
  switch (a.result) {
    case 'REFLASHED':
      return { state: 'REFLASHED', outcome: 'REFLASHED', reasonCode: null };
    case 'ALREADY_CURRENT':
      return a.verifiedEarlier
        ? { state: 'REFLASHED', outcome: 'REFLASHED', reasonCode: null }
        : { state: 'ALREADY_CURRENT', outcome: 'ALREADY_CURRENT', reasonCode: null };
    case 'REJECTED':
      return { state: 'REJECTED', outcome: 'REJECTED', reasonCode: a.errorCode ?? 'INTERNAL' };
    case 'SCRAP':
      return { state: 'SCRAP_PROPOSED', outcome: 'SCRAP', reasonCode: a.errorCode ?? 'INTERNAL' };
    case 'INTERRUPTED':
      return { state: 'FAILED', outcome: 'FAILED', reasonCode: a.errorCode ?? 'SESSION_INTERRUPTED' };
    case 'FAILED': {
      const disposition = failureDisposition(a);
      return disposition.action === 'retry'
        ? { state: 'FAILED', outcome: 'FAILED', reasonCode: disposition.reason }
        : { state: 'SCRAP_PROPOSED', outcome: 'SCRAP', reasonCode: disposition.reason };
    }
  }
}

const OUTCOMES_BY_STATE: Readonly<Record<HubState, readonly (Outcome | null)[]>> = {
  EXPECTED: [null],
  ACCEPTED: [null],
  NOT_RECEIVED: [null],
  FLASHING: [null, 'FAILED'],
  REFLASHED: ['REFLASHED'],
  ALREADY_CURRENT: ['ALREADY_CURRENT'],
  REJECTED: ['REJECTED'],
  FAILED: ['FAILED'],
  SCRAP_PROPOSED: ['SCRAP'],
  SCRAPPED: ['SCRAP'],
  RETURNED: ['REFLASHED', 'ALREADY_CURRENT', 'REJECTED'],
};

/** True when state and outcome agree (the store checks the same in SQL). */
export function isLegalHubProcess(hub: HubProcess): boolean {
  return HUB_STATES.includes(hub.state) && OUTCOMES_BY_STATE[hub.state].includes(hub.outcome);
}
