import type { AttemptResult, Outcome } from './outcomes.js';

const GOOD: ReadonlySet<Outcome | null> = new Set<Outcome | null>(['REFLASHED', 'ALREADY_CURRENT']);

/**
 * A hub's outcome after one more attempt. A hub that was re-flashed stays re-flashed when a later
 * look finds it current, and a later failure or interruption (a re-check on a bad link) does not
 * undo firmware that was verified on the hub. An interrupted first attempt counts as FAILED:
 * retryable, and never mistaken for success.
 */
export function nextHubOutcome(previous: Outcome | null, attempt: AttemptResult): Outcome {
  switch (attempt) {
    case 'REFLASHED':
      return 'REFLASHED';
    case 'ALREADY_CURRENT':
      return previous === 'REFLASHED' ? 'REFLASHED' : 'ALREADY_CURRENT';
    case 'FAILED':
    case 'INTERRUPTED':
      return previous !== null && GOOD.has(previous) ? previous : 'FAILED';
    case 'SCRAP':
    case 'REJECTED':
      return attempt;
  }
}
