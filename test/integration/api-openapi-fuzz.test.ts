import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../src/api/access/token-file.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { DOCUMENTED_CODES, officialSchemaProblems, openApiProblems, responseChecker, type OpenApiDocument, type Operation } from '../helpers/openapi-check.js';

/**
 * The API as a back-office client meets it: a real flashd-sim process (simulated hubs flashing over
 * TCP, worker sessions, SQLite on disk) with tokens only (no loopback grant), and requests built
 * from its own OpenAPI document: valid and invalid parameters and bodies, with each role's token,
 * a revoked one, garbage and none. No answer may be a 5xx; every error carries a documented code;
 * every answer validates against the document; the hubs still reach their outcomes; and the
 * canary token never shows in the log, the store, the metrics or any answer.
 * API_FUZZ_RUNS sets requests per route (default 30, about 15 s in all; `API_FUZZ_RUNS=1000` for the long run);
 * API_FUZZ_SEED replays a failure.
 */
const RUNS = Number(process.env.API_FUZZ_RUNS ?? 30);
const SEED = process.env.API_FUZZ_SEED === undefined ? undefined : Number(process.env.API_FUZZ_SEED);

type Schema = Record<string, unknown>;

/** An arbitrary for a JSON Schema (the subset TypeBox emits), valid most of the time. */
function valueFor(schema: Schema | undefined, known: readonly string[]): fc.Arbitrary<unknown> {
  if (!schema) return fc.jsonValue();
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map((s) => valueFor(s, known)));
  if ('const' in schema) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string': {
      const pattern =
        typeof schema.pattern === 'string' ? fc.stringMatching(new RegExp(schema.pattern)) : fc.string({ maxLength: Number(schema.maxLength ?? 40) });
      return fc.oneof(
        { weight: 3, arbitrary: pattern },
        { weight: 3, arbitrary: fc.constantFrom(...known) },
        { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
      );
    }
    case 'integer':
      return fc.integer({ min: Number(schema.minimum ?? -1000), max: Math.min(Number(schema.maximum ?? 100_000), 100_000) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueFor(schema.items as Schema, known), { maxLength: Math.min(Number(schema.maxItems ?? 4), 4) });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const keys = Object.keys(properties);
      if (keys.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 3 });
      return fc.record(Object.fromEntries(keys.map((k) => [k, valueFor(properties[k], known)])), {
        requiredKeys: ((schema.required ?? []) as string[]).filter((k) => keys.includes(k)),
      });
    }
    default:
      return fc.jsonValue();
  }
}
/** Mostly the schema's values, sometimes anything at all. */
const fuzzed = (schema: Schema | undefined, known: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: valueFor(schema, known) },
    { weight: 1, arbitrary: fc.oneof(fc.jsonValue(), fc.constantFrom('Infinity', '1e309', '-0', '%00', '__proto__', 'a'.repeat(300))) },
  );

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

describe('the API under requests built from its OpenAPI document, on a live daemon flashing hubs', () => {
  let dir: string;
  let daemon: DaemonProcess;
  let base: string;
  let doc: OpenApiDocument;
  const tokens: Record<string, string> = {};
  let canary: string;
  let revoked: string;
  const answers: string[] = [];

  const call = async (method: string, url: string, init: { token?: string | undefined; type?: string | undefined; body?: string | undefined } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    if (init.type !== undefined) headers['content-type'] = init.type;
    const controller = new AbortController();
    const res = await fetch(`${base}${url}`, { method, headers, body: init.body, signal: controller.signal, redirect: 'manual' });
    const type = res.headers.get('content-type') ?? '';
    // The event stream never ends: its head is the answer.
    const body = type.startsWith('text/event-stream') ? (controller.abort(), '') : await res.text();
    answers.push(body);
    return { status: res.status, type, body, requestId: res.headers.get('x-request-id') };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flashd-fuzz-'));
    const tokensFile = join(dir, 'tokens.json');
    for (const role of ['viewer', 'technician', 'supervisor', 'admin'] as const) tokens[role] = createToken(tokensFile, `bo-${role}`, role).token;
    canary = createToken(tokensFile, 'canary', 'admin').token;
    revoked = createToken(tokensFile, 'gone', 'admin').token;
    revokeToken(tokensFile, 'gone');
    const config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        api: { port: 0, tokensFile, loopbackRole: 'none', authFailuresPerMinute: 10_000 },
        store: { path: join(dir, 'flashd.db') },
        simulator: { hubs: 8, profile: 'instant', stock: 8, technician: { dwellMs: 200, swapMs: 100 } },
        log: { level: 'debug' },
      }),
    );
    daemon = startDaemon(['--config', config]);
    base = await daemon.ready;
    doc = JSON.parse((await call('GET', '/api/v1/openapi.json', { token: tokens.viewer })).body) as OpenApiDocument;
  }, 60_000);
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
  });

  it('serves an OpenAPI 3.1 document that lists every route the daemon has', async () => {
    expect(openApiProblems(doc)).toEqual([]);
    expect(officialSchemaProblems(doc)).toEqual([]);
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    for (const route of [
      'GET /api/v1/events',
      'GET /api/v1/shift',
      'GET /',
      'POST /api/v1/work-orders/import',
      'GET /api/v1/audit',
      'GET /metrics',
      'GET /api/docs',
    ])
      expect(listed).toContain(route);
    expect(listed.filter((r) => doc.paths[r.split(' ')[1]!]![r.split(' ')[0]!.toLowerCase()]!['x-flashd-role'] === 'undeclared')).toEqual([]);
    const page = await call('GET', '/api/docs', { token: tokens.viewer });
    expect(page.body).toContain('/api/v1/work-orders/{id}/close');
    expect(page.body).not.toMatch(/<script|https?:\/\/(?!127\.)/);
  });

  it('answers no generated request with a 5xx, an undocumented code or a body off the document; the hubs still finish', { timeout: 300_000 }, async () => {
    const check = responseChecker(doc);
    const hubs = JSON.parse((await call('GET', '/api/v1/hubs', { token: tokens.viewer })).body) as { items: Array<{ deviceId: string }> };
    const orders = JSON.parse((await call('GET', '/api/v1/work-orders', { token: tokens.viewer })).body) as { items: Array<{ id: string }> };
    const known = [...hubs.items.map((h) => h.deviceId), ...orders.items.map((o) => o.id), 'WO-FUZZ', '1', 'P1', 'North'];
    const credential = fc.constantFrom<string | undefined>(
      undefined,
      tokens.viewer,
      tokens.technician,
      tokens.supervisor,
      tokens.admin,
      canary,
      revoked,
      'flashd_0000_garbage',
    );
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries<Operation>(ops)) {
        const bodyType = Object.keys(op.requestBody?.content ?? {})[0];
        const bodySchema = bodyType ? op.requestBody!.content[bodyType]!.schema : undefined;
        const request = fc.record({
          params: fc.tuple(...op.parameters.filter((p) => p.in === 'path').map((p) => fuzzed(p.schema, known))),
          query: fc.tuple(...op.parameters.filter((p) => p.in === 'query').map((p) => fc.option(fuzzed(p.schema, known), { nil: undefined }))),
          body:
            bodyType === 'text/csv'
              ? fc.oneof(fc.constant(`deviceId\n${known[0]}\n`), fc.string())
              : fc.option(
                  fuzzed(bodySchema, known).map((v) => JSON.stringify(v) ?? ''),
                  { nil: undefined },
                ),
          type: fc.oneof(
            { weight: 5, arbitrary: fc.constant(bodyType ?? 'application/json') },
            { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded') },
          ),
          token: credential,
        });
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            let i = 0;
            const url = path.replace(/\{[^}]+\}/g, () => encodeURIComponent(text(r.params[i++])));
            const query = new URLSearchParams();
            op.parameters
              .filter((p) => p.in === 'query')
              .forEach((p, k) => {
                const v = r.query[k];
                if (v === undefined) return;
                for (const one of Array.isArray(v) ? v : [v]) query.append(p.name, text(one));
              });
            const send = method === 'get' ? {} : { type: r.type, body: r.body };
            const res = await call(method.toUpperCase(), `${url}${query.size ? `?${query.toString()}` : ''}`, { token: r.token, ...send });
            const where = `${method.toUpperCase()} ${url} → ${res.status}`;
            // A checkout without `npm run build` has no page: its 503 is the documented answer, not a fault.
            const unbuilt = res.status === 503 && res.body.includes('"DASHBOARD_NOT_BUILT"');
            if (res.status >= 500 && !unbuilt) problems.push(`${where}: ${res.body.slice(0, 200)}`);
            if (res.status >= 400) {
              const code = (JSON.parse(res.body) as { error?: { code?: string; requestId?: string } }).error;
              if (!code?.code || !DOCUMENTED_CODES.has(code.code)) problems.push(`${where}: undocumented code ${code?.code}`);
              if (code?.requestId !== res.requestId) problems.push(`${where}: error body request id ${code?.requestId} is not the header's ${res.requestId}`);
            }
            const json = res.type.startsWith('application/json') ? (JSON.parse(res.body) as unknown) : undefined;
            const off = check(method, path, res.status, res.type, json);
            if (off) problems.push(off);
          }),
          { numRuns: RUNS, seed: SEED },
        );
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(RUNS * Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length);
    // The bench kept flashing under all that: every simulated hub reaches an outcome.
    const deadline = Date.now() + 120_000;
    let finished = 0;
    while (Date.now() < deadline) {
      const list = JSON.parse((await call('GET', '/api/v1/hubs?limit=1000', { token: tokens.viewer })).body) as { items: Array<{ outcome: string | null }> };
      finished = list.items.filter((h) => h.outcome !== null).length;
      if (finished >= 8) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(finished).toBeGreaterThanOrEqual(8);
  });

  it('never shows the canary token in the log, the store, the metrics or an answer', { timeout: 60_000 }, async () => {
    const secret = canary.split('_').at(-1)!;
    answers.push((await call('GET', '/metrics', { token: canary })).body);
    // The audit shows the canary's name and id, never the token.
    const audit = await call('GET', '/api/v1/audit?actor=canary&limit=5', { token: tokens.supervisor });
    expect(JSON.parse(audit.body)).toMatchObject({ items: expect.arrayContaining([expect.objectContaining({ actor: 'canary' })]) });
    // A clean stop, so the log and the store are complete on disk (the log is written synchronously,
    // the WAL is on disk: a stop that outwaits 20 s is cut short without losing either).
    daemon.child.kill('SIGTERM');
    const stopped = setTimeout(() => daemon.child.kill('SIGKILL'), 20_000);
    await daemon.exited;
    clearTimeout(stopped);
    const stored = readdirSync(dir)
      .filter((f) => f.startsWith('flashd.db'))
      .map((f) => readFileSync(join(dir, f)).toString('latin1'));
    for (const [where, haystack] of [
      ['log', daemon.stdout() + daemon.stderr()],
      ['store', stored.join('')],
      ['answers', answers.join('\n')],
    ] as const) {
      expect([where, haystack.includes(secret)]).toEqual([where, false]);
    }
  });
});
