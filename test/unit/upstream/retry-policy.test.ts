import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/upstream/n3-answer.js';
import { DEFAULT_RETRY_POLICY, backoffMs, parseRetryAfter, retryDelayMs } from '../../../src/upstream/retry-policy.js';

const policy = { ...DEFAULT_RETRY_POLICY, minTimeoutMs: 1000, maxTimeoutMs: 60_000, timeoutFactor: 2, jitter: 0.5 };
const NOW = Date.parse('2026-11-28T12:00:00Z');

describe('retry policy', () => {
  it('grows exponentially from minTimeout to the cap, jittered into [1 - jitter, 1] of the step', () => {
    expect([1, 2, 3, 4, 7, 20].map((n) => backoffMs(policy, n, () => 0))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
    expect([1, 2, 7].map((n) => backoffMs(policy, n, () => 1))).toEqual([500, 1000, 30_000]);
    for (let i = 0; i < 200; i++) {
      const d = backoffMs(policy, 3);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('reads Retry-After as seconds or an HTTP-date, and ignores anything else', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:05:00 GMT', NOW)).toBe(300_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', NOW)).toBe(0); // in the past: now
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('1.5', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('lets Retry-After win over backoff, bounded below by minTimeout and above by maxRetryAfter', () => {
    expect(retryDelayMs(policy, 1, 30_000, () => 0)).toBe(30_000);
    expect(retryDelayMs(policy, 9, 5000, () => 0)).toBe(5000); // smaller than the backoff: the server knows best
    expect(retryDelayMs(policy, 1, 0, () => 0)).toBe(1000);
    expect(retryDelayMs({ ...policy, maxRetryAfterMs: 600_000 }, 1, 7_200_000, () => 0)).toBe(600_000);
    expect(retryDelayMs({ ...policy, retryAfter: false }, 1, 30_000, () => 0)).toBe(1000);
  });

  it('classifies answers: 2xx echoing the key delivers; 400/422 dead-letter; the rest retries', () => {
    const ok = (status: number, body: unknown, retryAfter?: string) =>
      classify({ kind: 'response', status, retryAfter, body: JSON.stringify(body) }, 'k-1', policy, NOW);
    expect(ok(201, { idempotencyKey: 'k-1' })).toEqual({ kind: 'delivered', status: 201 });
    expect(ok(200, { idempotencyKey: 'k-2' })).toMatchObject({ kind: 'retry', code: 'N3_ACK_INVALID' });
    expect(classify({ kind: 'response', status: 200, retryAfter: undefined, body: '<html>captive portal</html>' }, 'k-1', policy, NOW)).toMatchObject({
      kind: 'retry',
      code: 'N3_ACK_INVALID',
    });
    expect(ok(422, { error: { code: 'KEY_REUSED', message: 'key reused with a different payload' } })).toEqual({
      kind: 'dead',
      status: 422,
      code: 'N3_REJECTED',
      message: 'HTTP 422: KEY_REUSED key reused with a different payload',
    });
    expect(ok(400, { message: 'model unknown' })).toMatchObject({ kind: 'dead', message: 'HTTP 400: model unknown' });
    expect(ok(409, {})).toMatchObject({ kind: 'retry', code: 'N3_RETRY_LATER', status: 409 });
    expect(ok(429, {}, '7')).toMatchObject({ kind: 'retry', code: 'N3_RETRY_LATER', retryAfterMs: 7000 });
    expect(ok(503, {}, 'Sat, 28 Nov 2026 12:01:00 GMT')).toMatchObject({ kind: 'retry', code: 'N3_RETRY_LATER', retryAfterMs: 60_000 });
    expect(ok(500, {})).toMatchObject({ kind: 'retry', code: 'N3_RETRY_LATER', retryAfterMs: undefined });
    for (const status of [401, 403, 404, 301]) expect(ok(status, {}), String(status)).toMatchObject({ kind: 'retry', code: 'N3_REFUSED' });
    expect(classify({ kind: 'error', message: 'ECONNREFUSED: connect' }, 'k-1', policy, NOW)).toMatchObject({
      kind: 'retry',
      code: 'N3_UNREACHABLE',
      status: null,
    });
    expect(classify({ kind: 'response', status: 403, retryAfter: undefined, body: 'x'.repeat(2000) }, 'k', policy, NOW)).toMatchObject({
      message: expect.stringMatching(/^HTTP 403: x{297}\.\.\.$/),
    });
  });
});
