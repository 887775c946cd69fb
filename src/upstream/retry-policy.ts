/**
 * How the drainer retries, as data (the shape of undici's RetryHandler options: `minTimeout`,
 * `maxTimeout`, `timeoutFactor`, `retryAfter`, `statusCodes`), so configuration and tests change
 * behaviour without touching the loop. Delays are capped exponential backoff with jitter; a
 * server's Retry-After (seconds or an HTTP-date) wins when it is given.
 */
export interface RetryPolicy {
  /** Delay after the first failure. Default 1,000 ms. */
  minTimeoutMs: number;
  /** Cap of the exponential delay. Default 300,000 ms (5 min). */
  maxTimeoutMs: number;
  /** Growth per consecutive failure. Default 2. */
  timeoutFactor: number;
  /** Fraction of each delay drawn at random, 0..1: 0.5 waits 50–100 % of it. Default 0.5. */
  jitter: number;
  /** Honour Retry-After on 429, 503 and any other retried answer. Default true. */
  retryAfter: boolean;
  /** Longest Retry-After obeyed; a longer one is cut to this. Default 3,600,000 ms (1 h). */
  maxRetryAfterMs: number;
  /** Answers that dead-letter the row: the N3 client says the notification itself is invalid. Default 400, 422. */
  deadLetterStatusCodes: readonly number[];
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  minTimeoutMs: 1000,
  maxTimeoutMs: 300_000,
  timeoutFactor: 2,
  jitter: 0.5,
  retryAfter: true,
  maxRetryAfterMs: 3_600_000,
  deadLetterStatusCodes: Object.freeze([400, 422]),
});

/** Delay before try number `failures + 1` after `failures` consecutive failures (1 = the first). */
export function backoffMs(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(policy.maxTimeoutMs, policy.minTimeoutMs * policy.timeoutFactor ** exponent);
  return Math.round(base * (1 - policy.jitter * random()));
}

/** The delay to use: the server's Retry-After when honoured (never below `minTimeoutMs`), else backoff. */
export function retryDelayMs(policy: RetryPolicy, failures: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (policy.retryAfter && retryAfterMs !== undefined) return Math.min(policy.maxRetryAfterMs, Math.max(policy.minTimeoutMs, retryAfterMs));
  return backoffMs(policy, failures, random);
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - nowMs);
}
