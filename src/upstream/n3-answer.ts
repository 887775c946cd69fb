import type { ErrorCode } from '../domain/errors.js';
import { parseRetryAfter, type RetryPolicy } from './retry-policy.js';

/** One notification on the wire: its key and the stored canonical bytes. */
export interface N3Request {
  idempotencyKey: string;
  body: string;
}

/** What came back: an HTTP answer, or no answer at all. Never carries request headers. */
export type N3Answer = { kind: 'response'; status: number; retryAfter: string | undefined; body: string } | { kind: 'error'; message: string };

/** Delivers notifications; the HTTP one is the default, the seam lets the N3 web service change shape. */
export interface N3Transport {
  send(request: N3Request, signal: AbortSignal): Promise<N3Answer>;
  close(): void;
}

export type Disposition =
  | { kind: 'delivered'; status: number }
  | { kind: 'dead'; status: number; code: ErrorCode; message: string }
  | { kind: 'retry'; status: number | null; code: ErrorCode; message: string; retryAfterMs: number | undefined };

/**
 * What an answer means for the row (docs/n3.md, "Answers"). Delivered only on a 2xx whose JSON
 * body echoes the key: a proxy's 200 page is not an acknowledgement. 400 and 422 (also "key
 * reused with a different payload") dead-letter the row. 409 means the server is still working on
 * this key: ask again later. Anything else, including 401/403/404 (configuration, not this
 * notification's fault), is retried with backoff: the outbox never drops a result on its own.
 */
export function classify(answer: N3Answer, key: string, policy: RetryPolicy, nowMs: number): Disposition {
  if (answer.kind === 'error') return { kind: 'retry', status: null, code: 'N3_UNREACHABLE', message: answer.message, retryAfterMs: undefined };
  const { status } = answer;
  const detail = `HTTP ${status}${describeBody(answer.body)}`;
  if (status >= 200 && status < 300) {
    return ackedKey(answer.body) === key
      ? { kind: 'delivered', status }
      : { kind: 'retry', status, code: 'N3_ACK_INVALID', message: `${detail}: the answer does not acknowledge key ${key}`, retryAfterMs: undefined };
  }
  if (policy.deadLetterStatusCodes.includes(status)) return { kind: 'dead', status, code: 'N3_REJECTED', message: detail };
  const retryAfterMs = parseRetryAfter(answer.retryAfter, nowMs);
  const asked = status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
  return { kind: 'retry', status, code: asked ? 'N3_RETRY_LATER' : 'N3_REFUSED', message: detail, retryAfterMs };
}

function ackedKey(body: string): unknown {
  try {
    return (JSON.parse(body) as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  } catch {
    return undefined;
  }
}

/** The server's own words, short: `error.message`, `message` or the text itself. */
function describeBody(body: string): string {
  let text = body.trim();
  try {
    const json = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } | string; message?: unknown; code?: unknown } | null;
    const error = typeof json?.error === 'object' ? json.error : undefined;
    const parts = [error?.code ?? json?.code, error?.message ?? json?.message ?? (typeof json?.error === 'string' ? json.error : undefined)];
    const said = parts.filter((p) => typeof p === 'string' && p !== '').join(' ');
    if (said) text = said;
  } catch {
    // not JSON: keep the text
  }
  text = text.replace(/\s+/g, ' ');
  return text ? `: ${text.length > 300 ? `${text.slice(0, 297)}...` : text}` : '';
}
