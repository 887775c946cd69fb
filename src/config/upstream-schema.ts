import { Type, type Static } from '@sinclair/typebox';

const Ms = (value: number, description: string) => Type.Integer({ minimum: 0, maximum: 3_600_000, default: value, description });
const File = Type.String({ minLength: 1 });

/** A secret inline, or (better) in a file such as a systemd credential: `{ "file": path }`. */
const Token = Type.Union([
  Type.String({ minLength: 8, maxLength: 4096, pattern: '^[\\x21-\\x7e]+$', description: 'bearer token (prefer { "file": path })' }),
  Type.Object({ file: File }, { additionalProperties: false }),
]);

/** Retry policy as data (src/upstream/retry-policy.ts); defaults mirror DEFAULT_RETRY_POLICY. */
const Retry = Type.Object(
  {
    minTimeoutMs: Ms(1000, 'delay after the first failure'),
    maxTimeoutMs: Ms(300_000, 'cap of the exponential backoff'),
    timeoutFactor: Type.Number({ minimum: 1, maximum: 10, default: 2 }),
    jitter: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'fraction of each delay drawn at random' }),
    retryAfter: Type.Boolean({ default: true, description: 'honour Retry-After (seconds or HTTP-date)' }),
    maxRetryAfterMs: Ms(3_600_000, 'longest Retry-After obeyed'),
    deadLetterStatusCodes: Type.Array(Type.Integer({ minimum: 400, maximum: 499 }), {
      default: [400, 422],
      uniqueItems: true,
      description: 'answers that dead-letter a notification',
    }),
  },
  { additionalProperties: false, default: {} },
);

const N3 = Type.Object(
  {
    url: Type.Optional(Type.String({ pattern: '^https?://[^\\s@]+$', description: 'the N3 client endpoint; one POST per notification' })),
    token: Type.Optional(Token),
    tls: Type.Optional(
      Type.Object(
        { certFile: Type.Optional(File), keyFile: Type.Optional(File), caFile: Type.Optional(File) },
        { additionalProperties: false, description: 'mTLS client certificate and key, and the CA of the N3 client (PEM files)' },
      ),
    ),
    reportRejected: Type.Boolean({ default: false, description: 'also report hubs rejected at the slot (REJECTED)' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'notifications taken per drain pass' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 32, default: 4, description: 'requests in flight, each for another Device ID' }),
    requestTimeoutMs: Ms(10_000, 'silence that abandons a request (it is retried)'),
    pollIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 5000, description: 'longest idle wait between looks at the outbox' }),
    summaryIntervalMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000, description: 'period of the outbox summary log line' }),
    retry: Retry,
  },
  { additionalProperties: false, default: {} },
);

/**
 * `upstream`: how results reach the DSP inventory (seed requirement 10). `ssmi` (the default) only
 * serves the SSMI upload file (Option B) and queues nothing; `n3` pushes each result to the CSP's
 * N3 client through the outbox (Option A); `both` does both. docs/n3.md.
 */
export const UpstreamSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('ssmi'), Type.Literal('n3'), Type.Literal('both')], { default: 'ssmi' }),
    n3: N3,
  },
  { additionalProperties: false, default: {} },
);

export type UpstreamConfig = Static<typeof UpstreamSchema>;

/** True when results are pushed to the N3 client. */
export function n3Enabled(upstream: Pick<UpstreamConfig, 'mode'>): boolean {
  return upstream.mode === 'n3' || upstream.mode === 'both';
}

/** Rules across keys the schema cannot state, as config problems with their paths. */
export function upstreamProblems(upstream: UpstreamConfig): string[] {
  const problems: string[] = [];
  if (n3Enabled(upstream) && upstream.n3.url === undefined) problems.push(`/upstream/n3/url: is required when /upstream/mode is "${upstream.mode}"`);
  const tls = upstream.n3.tls;
  if (tls && (tls.certFile === undefined) !== (tls.keyFile === undefined)) problems.push('/upstream/n3/tls: certFile and keyFile go together');
  if (upstream.n3.retry.minTimeoutMs > upstream.n3.retry.maxTimeoutMs) problems.push('/upstream/n3/retry: minTimeoutMs is greater than maxTimeoutMs');
  return problems;
}
