import type { ErrorCode } from './errors.js';

/** What the store knows about a FAILED attempt when it decides between "retry" and "propose scrap". */
export interface FailedAttemptFacts {
  /** Error code the attempt ended with (null when the session gave none). */
  errorCode: string | null;
  /** FAILED attempts of the hub on this work order, this one included. Interruptions do not count. */
  failedAttempts: number;
  /** Earlier attempts of the hub on this work order that ended with the same error code. */
  sameErrorBefore: number;
  /** `process.maxAttempts`: failed attempts allowed before scrap is proposed. */
  maxAttempts: number;
}

export type FailureDisposition = { action: 'retry'; reason: string } | { action: 'propose-scrap'; reason: string };

/** The hub refuses every unlock until it is serviced by its manufacturer: retrying cannot help. */
const UNRECOVERABLE: ReadonlySet<string> = new Set<ErrorCode>(['UNLOCK_LOCKED_OUT']);

/**
 * The hub took the image and still computes the wrong hash, or boots the old version: once may be
 * a glitch (the link, a power dip), twice means its flash or bootloader cannot be trusted.
 */
const FATAL_WHEN_REPEATED: ReadonlySet<string> = new Set<ErrorCode>(['VERIFY_MISMATCH', 'READBACK_MISMATCH']);

/**
 * Decides whether a failed hub stays retryable or is proposed for scrap (risk R-001). Scrap is only
 * ever proposed here; a technician confirms it before it is final. Link and timeout failures are
 * retryable until `maxAttempts` failures, because they say more about the bench than the hub.
 */
export function failureDisposition(facts: FailedAttemptFacts): FailureDisposition {
  const code = facts.errorCode ?? 'INTERNAL';
  if (UNRECOVERABLE.has(code)) return { action: 'propose-scrap', reason: code };
  if (FATAL_WHEN_REPEATED.has(code) && facts.sameErrorBefore >= 1) return { action: 'propose-scrap', reason: code };
  if (facts.failedAttempts >= facts.maxAttempts) return { action: 'propose-scrap', reason: 'ATTEMPTS_EXHAUSTED' };
  return { action: 'retry', reason: code };
}
