import { Type } from '@sinclair/typebox';

/** Roles in rising order; each holds every right of the ones before it (docs/api.md, "Roles"). */
export const API_ROLES = ['viewer', 'technician', 'supervisor', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const Role = Type.Union(API_ROLES.map((r) => Type.Literal(r)));
const HostName = Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))$', description: 'a host name or address, without port' });

/**
 * Who may use the API and how it is reached, spread into `api` (docs/api.md, "Access"). A listener
 * on a non-loopback address needs `tokensFile`, and `tls` unless `allowPlainHttp` says otherwise.
 */
export const ApiAccessSchema = {
  tokensFile: Type.Optional(
    Type.String({ minLength: 1, description: 'API token hashes (flashctl token create); read again when it changes; suits systemd LoadCredential=' }),
  ),
  loopbackRole: Type.Union([Role, Type.Literal('none')], {
    default: 'admin',
    description: "role granted to clients of a loopback listener without a token (the bench PC's dashboard, curl); none = tokens or sign-in only",
  }),
  allowedHosts: Type.Array(HostName, { default: [], maxItems: 32, description: 'Host header names answered besides localhost, 127.0.0.1 and [::1]' }),
  corsOrigins: Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' }), {
    default: [],
    maxItems: 32,
    description: 'origins whose pages may call the API (CORS); none by default',
  }),
  tls: Type.Optional(
    Type.Object(
      { keyFile: Type.String({ minLength: 1 }), certFile: Type.String({ minLength: 1 }) },
      { additionalProperties: false, description: 'serve HTTPS with this PEM key and certificate' },
    ),
  ),
  allowPlainHttp: Type.Boolean({ default: false, description: 'allow a non-loopback listener without TLS (a TLS proxy in front, say)' }),
  operatorPinsFile: Type.Optional(Type.String({ minLength: 1, description: 'operator PIN hashes (flashctl pin set); with it, signing in needs the PIN' })),
  sessionTtlMs: Type.Integer({ minimum: 60_000, maximum: 7 * 86_400_000, default: 12 * 3_600_000, description: 'how long a technician sign-in lasts' }),
  authFailuresPerMinute: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 30,
    description: 'failed authentications per client address and minute before 429 AUTH_RATE_LIMITED',
  }),
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

/** Whether an address (a listener's or a client's) is this machine's loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return LOOPBACK.has(address) || /^127\./.test(address) || /^::ffff:127\./.test(address);
}

/** Config problems of an exposed listener: each names the key that fixes it. */
export function apiExposureProblems(api: { host: string; tokensFile?: string | undefined; tls?: unknown; allowPlainHttp: boolean }): string[] {
  if (isLoopbackAddress(api.host)) return [];
  const problems: string[] = [];
  if (!api.tokensFile)
    problems.push(
      `/api/tokensFile: api.host ${api.host} is not loopback, so the API needs tokens: create one with flashctl token create and set api.tokensFile`,
    );
  if (!api.tls && !api.allowPlainHttp)
    problems.push(
      `/api/tls: api.host ${api.host} is not loopback, so the API needs TLS: set api.tls { keyFile, certFile }, or api.allowPlainHttp: true behind a TLS proxy`,
    );
  return problems;
}
