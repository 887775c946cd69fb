import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../../src/api/access/failure-limiter.js';
import { TokenFile, createToken, revokeToken } from '../../../src/api/access/token-file.js';
import { loopbackAccess } from '../../../src/api/app.js';
import { validateConfig } from '../../../src/config/load-config.js';
import { hubId, startApiApp, type ApiApp } from '../../helpers/api-app.js';

/**
 * The role model of issue 11, written out here rather than read from the routes: a route whose
 * declared role drifts from it fails this test, and so does a route missing from the table.
 */
const EXPECTED: Record<string, 'public' | 'viewer' | 'technician' | 'supervisor' | 'admin'> = {
  'GET /api/v1/health': 'viewer',
  'GET /api/v1/slots': 'viewer',
  'GET /api/v1/adapters': 'viewer',
  'POST /api/v1/backup': 'admin',
  'GET /api/v1/guards': 'viewer',
  'GET /api/v1/batches': 'viewer',
  'POST /api/v1/guards/canaries/:model/:version/release': 'supervisor',
  'POST /api/v1/guards/models/:model/:version/resume': 'supervisor',
  'POST /api/v1/guards/slots/:jig/:slot/release': 'supervisor',
  'POST /api/v1/guards/slots/:jig/:slot/self-test': 'supervisor',
  'GET /api/v1/hubs': 'viewer',
  'GET /api/v1/hubs/:deviceId': 'viewer',
  'GET /api/v1/hubs/:deviceId/work-orders': 'viewer',
  'GET /api/v1/work-orders': 'viewer',
  'GET /api/v1/work-orders/:id': 'viewer',
  'GET /api/v1/work-orders/:id/hubs': 'viewer',
  'GET /api/v1/work-orders/:id/manifest': 'viewer',
  'GET /api/v1/work-orders/:id/ssmi': 'viewer',
  'GET /api/v1/ssmi': 'viewer',
  'GET /api/v1/charges': 'viewer',
  'GET /api/v1/outbox': 'viewer',
  'GET /api/v1/bench/operator': 'viewer',
  'GET /metrics': 'viewer',
  'GET /api/v1/openapi.json': 'viewer',
  'GET /api/docs': 'viewer',
  'POST /api/v1/intake': 'technician',
  'POST /api/v1/hubs/:deviceId/retry': 'technician',
  'PUT /api/v1/bench/operator': 'technician',
  'POST /api/v1/hubs/:deviceId/confirm-scrap': 'supervisor',
  'POST /api/v1/work-orders/:id/returns': 'supervisor',
  'POST /api/v1/work-orders/:id/close': 'supervisor',
  'POST /api/v1/work-orders/:id/cancel': 'supervisor',
  'POST /api/v1/outbox/:id/requeue': 'supervisor',
  'GET /api/v1/audit': 'supervisor',
  'POST /api/v1/work-orders': 'admin',
  'POST /api/v1/work-orders/import': 'admin',
  'GET /api/v1/session': 'public',
  'POST /api/v1/session': 'public',
  'DELETE /api/v1/session': 'public',
};
const ROLES = ['viewer', 'technician', 'supervisor', 'admin'] as const;
const rank = (r: string): number => ['public', ...ROLES].indexOf(r);

/** A request that reaches the route's handler (valid path parameters; a body of the right type). */
function requestFor(method: string, url: string): InjectOptions & { headers: Record<string, string> } {
  const path = url.replace(':deviceId', hubId(1)).replace(':id', url.includes('outbox') ? '1' : 'WO-1');
  const query = url.endsWith('/import') ? '?id=WO-M&secPartyId=P1&cspRegion=North' : url.endsWith('/ssmi') && !url.includes(':') ? '?workOrderId=WO-1' : '';
  const verb = method as 'GET' | 'POST' | 'PUT' | 'DELETE';
  if (method === 'GET' || method === 'DELETE')
    return { method: verb, url: path + query, headers: method === 'DELETE' ? { 'content-type': 'application/json' } : {} };
  if (url.endsWith('/import')) return { method: verb, url: path + query, payload: `deviceId\n${hubId(30)}\n`, headers: { 'content-type': 'text/csv' } };
  const bodies: Record<string, object> = {
    '/api/v1/intake': { deviceId: hubId(1) },
    '/api/v1/bench/operator': { operatorId: 'tech-m' },
    '/api/v1/work-orders': { id: 'WO-M', secPartyId: 'P1', cspRegion: 'North', hubs: [{ deviceId: hubId(31) }] },
    '/api/v1/work-orders/:id/returns': { deviceIds: [hubId(1)] },
    '/api/v1/session': { operatorId: 'tech-m' },
  };
  return { method: verb, url: path + query, payload: JSON.stringify(bodies[url] ?? {}), headers: { 'content-type': 'application/json' } };
}

describe('API access: roles, tokens, Host and Origin', () => {
  let dir: string;
  let tokensFile: string;
  const tokens: Record<string, string> = {};
  let revoked: string;
  let api: ApiApp;
  let routes: Array<{ method: string; url: string; role: string }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flashd-access-'));
    tokensFile = join(dir, 'tokens.json');
    for (const role of ROLES) tokens[role] = createToken(tokensFile, `office-${role}`, role).token;
    revoked = createToken(tokensFile, 'old-laptop', 'admin').token;
    revokeToken(tokensFile, 'old-laptop');
    api = await startApiApp(
      {},
      loopbackAccess({ loopbackRole: 'none', tokens: new TokenFile(tokensFile, () => undefined), failures: new FailureLimiter(10_000) }),
    );
    const doc = (await api.app.inject({ url: '/api/v1/openapi.json', headers: { authorization: `Bearer ${tokens.viewer}` } })).json<{
      paths: Record<string, Record<string, { 'x-flashd-role': string }>>;
    }>();
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ method: m.toUpperCase(), url: path.replace(/\{([^}]+)\}/g, ':$1'), role: op['x-flashd-role'] })),
    );
  });
  afterAll(() => api.close());

  it('has every registered route declare the role of the role model', () => {
    expect(routes.length).toBe(Object.keys(EXPECTED).length);
    for (const r of routes) expect([`${r.method} ${r.url}`, r.role]).toEqual([`${r.method} ${r.url}`, EXPECTED[`${r.method} ${r.url}`]]);
  });

  it('answers every route by role: 401 without a token or with a revoked one, 403 below the role, the route itself at or above it', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const needed = EXPECTED[`${route.method} ${route.url}`]!;
      const callers: Array<[string, string | undefined]> = [
        ['no token', undefined],
        ['revoked', revoked],
        ...ROLES.map((r) => [r, tokens[r]] as [string, string]),
      ];
      for (const [who, token] of callers) {
        const req = requestFor(route.method, route.url);
        if (token) req.headers.authorization = `Bearer ${token}`;
        const res = await api.app.inject(req);
        const code = res.statusCode >= 400 ? res.json<{ error: { code: string } }>().error.code : undefined;
        let want: string;
        if (who === 'revoked') want = 'AUTH_TOKEN_REVOKED';
        else if (needed === 'public') want = 'the route';
        else if (who === 'no token') want = 'AUTH_REQUIRED';
        else want = rank(who) >= rank(needed) ? 'the route' : 'AUTH_ROLE_FORBIDDEN';
        const got = code && /^AUTH_/.test(code) ? code : 'the route';
        if (got !== want) failures.push(`${route.method} ${route.url} as ${who}: ${res.statusCode} ${code ?? ''}, wanted ${want}`);
        if (res.statusCode >= 500) failures.push(`${route.method} ${route.url} as ${who}: ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('records each mutation with the token name as the operator, and supervisors read the trail by page and filter', async () => {
    const auth = (role: string) => ({ authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' });
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/work-orders',
      headers: auth('admin'),
      payload: { id: 'WO-A1', secPartyId: 'P1', cspRegion: 'North', hubs: [{ deviceId: hubId(40) }] },
    });
    expect(created.json()).toMatchObject({ id: 'WO-A1', createdBy: 'office-admin' });
    const refused = await api.app.inject({ method: 'POST', url: '/api/v1/work-orders/WO-A1/close', headers: auth('technician') });
    expect(refused.statusCode).toBe(403);
    const trail = await api.app.inject({ url: '/api/v1/audit?target=WO-A1&limit=1', headers: auth('supervisor') });
    const page = trail.json<{ items: Array<Record<string, unknown>>; nextCursor: number | null }>();
    expect(page.items).toEqual([
      expect.objectContaining({
        actor: 'office-technician',
        role: 'technician',
        method: 'POST',
        route: '/api/v1/work-orders/:id/close',
        target: 'WO-A1',
        status: 403,
        errorCode: 'AUTH_ROLE_FORBIDDEN',
        requestId: refused.headers['x-request-id'],
      }),
    ]);
    const older = await api.app.inject({ url: `/api/v1/audit?target=WO-A1&before=${page.nextCursor}`, headers: auth('supervisor') });
    expect(older.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({ actor: 'office-admin', operatorId: 'office-admin', status: 201, errorCode: null, actorKind: 'token' }),
    ]);
    expect((await api.app.inject({ url: '/api/v1/audit', headers: auth('technician') })).statusCode).toBe(403);
    expect(() => api.db.prepare('DELETE FROM api_audit').run()).toThrow(/never deleted/);
    expect(() => api.db.prepare("UPDATE api_audit SET actor = 'x'").run()).toThrow(/never change/);
  });

  it('refuses a revoked token from the next request on, without a restart', async () => {
    const { token } = createToken(tokensFile, 'short-lived', 'viewer');
    const ask = () => api.app.inject({ url: '/api/v1/slots', headers: { authorization: `Bearer ${token}` } });
    expect((await ask()).statusCode).toBe(200);
    revokeToken(tokensFile, 'short-lived');
    expect((await ask()).json()).toMatchObject({ error: { code: 'AUTH_TOKEN_REVOKED' } });
    expect(readFileSync(tokensFile, 'utf8')).not.toContain(token);
  });

  it("answers only the configured Host names, and refuses another origin's writes and preflights", async () => {
    const viewer = { authorization: `Bearer ${tokens.admin}` };
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:1', '[::1]:8080'])
      expect((await api.app.inject({ url: '/api/v1/slots', headers: { ...viewer, host } })).statusCode).toBe(200);
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', 'localhost:8080/x']) {
      const res = await api.app.inject({ url: '/api/v1/slots', headers: { ...viewer, host } });
      expect([host, res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([host, 421, 'HOST_NOT_ALLOWED']);
    }
    const write = {
      method: 'POST' as const,
      url: '/api/v1/work-orders/WO-1/cancel',
      headers: { ...viewer, 'content-type': 'application/json', origin: 'http://evil.example' },
    };
    expect((await api.app.inject(write)).json()).toMatchObject({ error: { code: 'ORIGIN_FORBIDDEN' } });
    const preflight = await api.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/work-orders',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const sameOrigin = await api.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: { ...viewer, 'content-type': 'application/json', origin: 'http://localhost:80' },
      payload: { deviceId: hubId(1) },
    });
    expect(sameOrigin.statusCode).toBe(200);
  });

  it('rate-limits failed authentication per client address', async () => {
    const limited = await startApiApp({}, loopbackAccess({ loopbackRole: 'none', failures: new FailureLimiter(3) }));
    try {
      const codes: string[] = [];
      for (let i = 0; i < 5; i++)
        codes.push(
          (await limited.app.inject({ url: '/api/v1/slots', headers: { authorization: `Bearer flashd_guess${i}` } })).json<{ error: { code: string } }>().error
            .code,
        );
      expect(codes).toEqual(['AUTH_TOKEN_INVALID', 'AUTH_TOKEN_INVALID', 'AUTH_TOKEN_INVALID', 'AUTH_RATE_LIMITED', 'AUTH_RATE_LIMITED']);
    } finally {
      await limited.close();
    }
  });

  it('signs a technician in with an HttpOnly SameSite=Strict cookie that names who acts', async () => {
    const local = await startApiApp({}, loopbackAccess({ loopbackRole: 'viewer' }));
    try {
      const signIn = await local.app.inject({ method: 'POST', url: '/api/v1/session', payload: { operatorId: 'tech-anna' } });
      const cookie = String(signIn.headers['set-cookie']);
      expect(cookie).toMatch(/^flashd_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
      const session = { cookie: cookie.split(';')[0]!, 'content-type': 'application/json' };
      // The loopback grant is only viewer here: the scan needs the sign-in's technician role.
      expect(
        (await local.app.inject({ method: 'POST', url: '/api/v1/intake', headers: { 'content-type': 'application/json' }, payload: { deviceId: hubId(1) } }))
          .statusCode,
      ).toBe(403);
      const scan = await local.app.inject({ method: 'POST', url: '/api/v1/intake', headers: session, payload: { deviceId: hubId(1) } });
      expect(scan.statusCode).toBe(200);
      expect(local.stores.audit.list({ limit: 1 }).items[0]).toMatchObject({
        actorKind: 'session',
        actor: 'tech-anna',
        operatorId: 'tech-anna',
        role: 'technician',
      });
      await local.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: session });
      expect((await local.app.inject({ method: 'POST', url: '/api/v1/intake', headers: session, payload: { deviceId: hubId(1) } })).statusCode).toBe(403);
    } finally {
      await local.close();
    }
  });

  it('refuses to expose the API on a non-loopback address without tokens, or without TLS unless waived, naming the key', () => {
    const problems = (api: object): string[] => {
      try {
        validateConfig({ api }, 'test.json');
        return [];
      } catch (err) {
        return (err as { details: { problems: string[] } }).details.problems;
      }
    };
    expect(problems({ host: '0.0.0.0' })).toEqual([expect.stringMatching(/^\/api\/tokensFile: /), expect.stringMatching(/^\/api\/tls: /)]);
    expect(problems({ host: '0.0.0.0', tokensFile: 't.json' })).toEqual([expect.stringMatching(/^\/api\/tls: .*allowPlainHttp/)]);
    expect(problems({ host: '0.0.0.0', tokensFile: 't.json', allowPlainHttp: true })).toEqual([]);
    expect(problems({ host: '127.0.0.1' })).toEqual([]);
  });
});
