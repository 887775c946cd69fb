import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { hubId, startApiApp, type ApiApp } from '../../helpers/api-app.js';
import { rawRequest, registeredRoutes, type RawResponse, type RegisteredRoute } from '../../helpers/raw-http.js';

/**
 * Every registered route, over real HTTP on 127.0.0.1, with valid-ish and hostile requests: no
 * answer may be a 5xx, and every error must be `{ error: { code, message } }` with a code from
 * docs/errors.md. API_FUZZ_RUNS sets the cases per route (default 150: about 10 s in all on a quiet host; e.g. 5000 for a long run);
 * API_FUZZ_SEED replays a reported failure.
 */
const RUNS = Number(process.env.API_FUZZ_RUNS ?? 150);
const SEED = process.env.API_FUZZ_SEED === undefined ? undefined : Number(process.env.API_FUZZ_SEED);

const doc = readFileSync(join(PACKAGE_ROOT, 'docs/errors.md'), 'utf8');
const DOCUMENTED = new Set([...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| .+ \|$/gm)].map((m) => m[1]!));

const HOSTILE = [
  '',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '-0',
  'NaN',
  '0',
  '-1',
  '1.5',
  '0x10',
  '1e3',
  '99999999999999999999999',
  'true',
  'null',
  '[]',
  '{}',
  '%',
  '%%',
  '%E0%A4%A',
  '%00',
  '%2e%2e',
  '..',
  '%C0%AF',
  '%F0%9F%92%A9',
  "'; DROP TABLE hubs;--",
  '__proto__',
  'constructor',
  'a'.repeat(101),
  'b'.repeat(3000),
  'é',
  'WO 1',
];
const VALID = [
  hubId(1),
  hubId(1).toLowerCase(),
  hubId(2),
  'WO-1',
  'WO-2',
  'P1',
  '1',
  '100',
  '1000',
  'OPEN',
  'REFLASHED',
  'North',
  'csv',
  'json',
  'party',
  '2026-01-01',
];
const QUERY_KEYS = [
  'limit',
  'after',
  'outcome',
  'state',
  'secPartyId',
  'workOrderId',
  'id',
  'cspRegion',
  'format',
  'by',
  'from',
  'to',
  'x',
  '__proto__',
  'limit[]',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/csv',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  'Application/JSON',
  '',
  '*/*',
  'text/csv; charset=utf-8',
];
const JSON_BODIES = [
  JSON.stringify({ id: 'WO-F', secPartyId: 'P1', cspRegion: 'North', hubs: [{ deviceId: hubId(7) }] }),
  JSON.stringify({ deviceId: hubId(1) }),
  JSON.stringify({ deviceId: hubId(1), workOrderId: 'WO-1' }),
  JSON.stringify({ deviceIds: [hubId(1)] }),
  JSON.stringify({ operatorId: 'op-1' }),
  '{"limit":1e309}',
  '{"hubs":[{"deviceId":1e309}]}',
  '{"id":-0,"hubs":Infinity}',
  '{',
  '[]',
  'null',
  '"x"',
  '1e309',
  '',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '['.repeat(5000) + ']'.repeat(5000),
  `deviceId,model\n${hubId(9)},0101030B\n`,
  'a=1&b=2',
  '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
];
const BENIGN_HEADERS = ['Expect: 100-continue', 'Accept: text/csv', 'Accept: */*', 'Accept-Version: 9', 'Origin: http://evil.example'];
const HOSTILE_HEADERS = [
  'Expect: teapot',
  `X-Big: ${'h'.repeat(20_000)}`,
  'Content-Length: 3',
  'Bad Header: x',
  'Transfer-Encoding: gzip',
  'Host: a',
  'X-Nul: a\u0000b',
];
const OPERATORS = ['op-1', '', 'a'.repeat(200), 'bad id', 'é', '../../etc'];

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const someHub = fc.integer({ min: 1, max: 40 }).map(hubId);
/** Bodies that pass the schemas (unknown keys are dropped), so cases reach the store: 201, 409, 422. */
const validIshBody = fc
  .record(
    {
      id: pick(['WO-A', 'WO-B', 'WO-C', 'WO-1']),
      secPartyId: pick(['P1', 'P2']),
      cspRegion: pick(['North', 'Central', 'South']),
      hubs: fc.array(fc.record({ deviceId: someHub }), { maxLength: 4 }),
      deviceId: someHub,
      deviceIds: fc.array(someHub, { minLength: 1, maxLength: 3 }),
      workOrderId: pick(['WO-1', 'WO-A']),
      operatorId: pick(['op-1', 'op-2']),
      note: fc.string({ maxLength: 20 }),
    },
    { requiredKeys: ['id', 'secPartyId', 'cspRegion', 'hubs', 'deviceId'] },
  )
  .map((body) => JSON.stringify(body));
const text = fc.oneof(pick(VALID), pick(HOSTILE), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
const encodedOrRaw = fc.tuple(text, fc.boolean()).map(([value, encode]) => (encode ? encodeURIComponent(value) : value));

interface Case {
  method: string;
  path: string;
  query: [string, string][];
  contentType: string | undefined;
  body: string | undefined;
  operator: string | undefined;
  extraHeaders: string[];
  chunked: boolean;
}

function caseFor(route: RegisteredRoute): fc.Arbitrary<Case> {
  const params = (route.url.match(/:[A-Za-z]+|\*/g) ?? []).length;
  return fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) },
    ),
    path: fc
      .tuple(
        fc.array(encodedOrRaw, { minLength: params, maxLength: params }),
        fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pick(['/', '//', '/x', '?', '#frag', '/..', '/%2e%2e']) }),
      )
      .map(([values, tail]) => {
        let i = 0;
        return route.url.replace(/:[A-Za-z]+|\*/g, () => values[i++]!) + tail;
      }),
    query: fc.array(fc.tuple(fc.oneof(pick(QUERY_KEYS), fc.string({ maxLength: 8 })), encodedOrRaw), { maxLength: 4 }),
    contentType: fc.oneof(
      { weight: 4, arbitrary: fc.constant('application/json') },
      { weight: 3, arbitrary: pick(CONTENT_TYPES) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    body: fc.option(
      fc.oneof(
        { weight: 6, arbitrary: validIshBody },
        { weight: 6, arbitrary: pick(JSON_BODIES) },
        { weight: 3, arbitrary: fc.json() },
        { weight: 1, arbitrary: fc.constant('x'.repeat(1_100_000)) },
      ),
      { nil: undefined },
    ),
    operator: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: pick(OPERATORS) }),
    // Headers Node itself refuses come one at a time and seldom, so most cases reach the routes.
    extraHeaders: fc
      .tuple(
        fc.subarray(BENIGN_HEADERS),
        fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.subarray(HOSTILE_HEADERS, { minLength: 1, maxLength: 1 }) }),
      )
      .map(([benign, hostile]) => [...benign, ...hostile]),
    chunked: fc.boolean(),
  });
}

function toBytes(c: Case): Buffer {
  const query = c.query.map(([k, v]) => `${k}=${v}`).join('&');
  const target = `${c.path}${query ? `${c.path.includes('?') ? '&' : '?'}${query}` : ''}`;
  const body = c.body === undefined ? Buffer.alloc(0) : Buffer.from(c.body, 'utf8');
  const headers = ['Host: 127.0.0.1', 'Connection: close', ...c.extraHeaders];
  if (c.contentType !== undefined) headers.push(`Content-Type: ${c.contentType}`);
  if (c.operator !== undefined) headers.push(`X-Operator-Id: ${c.operator}`);
  if (c.body !== undefined) headers.push(c.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`);
  const head = Buffer.from(`${c.method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8');
  if (c.body === undefined) return head;
  if (!c.chunked) return Buffer.concat([head, body]);
  const chunk = body.length === 0 ? [] : [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')];
  return Buffer.concat([head, ...chunk, Buffer.from('0\r\n\r\n')]);
}

/** Empty when the answer is acceptable, else what is wrong with it. */
function problemsOf(c: Case, res: RawResponse | undefined): string[] {
  if (!res) return ['the server closed without answering'];
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  if (res.status < 400 || c.method === 'HEAD') return problems;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return [...problems, `error body is not JSON: ${res.body.slice(0, 200)}`];
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || Object.keys(body as object).length !== 1) return [...problems, `error body is not { error }: ${res.body.slice(0, 200)}`];
  if (typeof error.code !== 'string' || !DOCUMENTED.has(error.code)) problems.push(`code ${String(error.code)} is not in docs/errors.md`);
  if (typeof error.message !== 'string') problems.push('error.message is not a string');
  if (Object.keys(error).some((k) => !['code', 'message', 'details', 'requestId'].includes(k)))
    problems.push(`error has other keys: ${Object.keys(error).join(', ')}`);
  return problems;
}

describe('every route under fuzzed requests', () => {
  let api: ApiApp;
  let routes: RegisteredRoute[];

  beforeAll(async () => {
    api = await startApiApp();
    routes = registeredRoutes(api.app.printRoutes({ commonPrefix: false })).filter((r) => r.method !== 'HEAD');
  });
  afterAll(() => api.close());

  it('finds the routes to fuzz from the app itself', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes).toContainEqual({ method: 'POST', url: '/api/v1/work-orders/import' });
    expect(routes).toContainEqual({ method: 'GET', url: '/api/v1/hubs/:deviceId' });
    expect(routes).toContainEqual({ method: 'GET', url: '/metrics' });
  });

  it('answers no request with a 5xx or an undocumented error body', { timeout: 600_000 }, async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(caseFor(route), async (c) => {
          const res = await rawRequest(api.port, toBytes(c));
          const problems = problemsOf(c, res);
          if (problems.length > 0) throw new Error(`${c.method} ${c.path}: ${problems.join('; ')} (status ${res?.status})`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: RUNS > 150 },
      );
    }
  });
});
