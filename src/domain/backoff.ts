/**
 * A reconnect backoff as data (like upstream's retry policy, src/upstream/retry-policy.ts), so
 * configuration and tests change the waits without touching the loop that waits.
 */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  minDelayMs: number;
  /** Cap of the growing delay. */
  maxDelayMs: number;
  /** Growth per consecutive failure (2 doubles). */
  factor: number;
}

/** A jig's control port and slot links: 500 ms doubling to 10 s. */
export const DEFAULT_JIG_RECONNECT: Readonly<BackoffPolicy> = Object.freeze({ minDelayMs: 500, maxDelayMs: 10_000, factor: 2 });
/** One slot's link while its jig stays up: 250 ms doubling to 10 s. */
export const DEFAULT_SLOT_RECONNECT: Readonly<BackoffPolicy> = Object.freeze({ minDelayMs: 250, maxDelayMs: 10_000, factor: 2 });

/** Delay before retry number `failures` (1 = after the first failure). */
export function backoffDelayMs(policy: BackoffPolicy, failures: number): number {
  return Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** Math.max(0, failures - 1));
}
