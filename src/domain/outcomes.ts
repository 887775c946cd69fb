/** Final outcome of a hub, as the status API and the N3 report name it. */
export const OUTCOMES = ['REFLASHED', 'ALREADY_CURRENT', 'FAILED', 'SCRAP', 'REJECTED'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What one attempt ended as: an outcome, or interrupted at a safe point (shutdown, hub removed). */
export const ATTEMPT_RESULTS = [...OUTCOMES, 'INTERRUPTED'] as const;
export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

/** Session phases in the order a hub goes through them; the dashboard and API use these names. */
export const PHASES = ['EMPTY', 'IDENTIFYING', 'CHECKING', 'UNLOCKING', 'TRANSFERRING', 'VERIFYING', 'ACTIVATING', 'READING_BACK', 'DONE'] as const;
export type Phase = (typeof PHASES)[number];

/** Phases that carry a timing in an attempt record. */
export const TIMED_PHASES = ['identify', 'unlock', 'transfer', 'verify', 'activate', 'readBack'] as const;
export type TimedPhase = (typeof TIMED_PHASES)[number];
export type PhaseTimings = Partial<Record<TimedPhase, number>>;
