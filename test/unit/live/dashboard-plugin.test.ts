import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { sendErrorReply } from '../../../src/api/error-replies.js';
import { CONTENT_SECURITY_POLICY, dashboardPlugin, type DashboardDeps } from '../../../src/dashboard/plugin.js';

const deps = (assetsDir: string): DashboardDeps => ({
  events: {} as DashboardDeps['events'],
  shift: { read: () => ({ today: 3 }) as never },
  assetsDir,
});

describe('dashboard plugin', () => {
  it('says how to build the page when it is not built, instead of a bare 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashd-assets-'));
    const app = Fastify();
    app.setErrorHandler((err, request, reply) => sendErrorReply(err, request, reply));
    await app.register(dashboardPlugin, { deps: deps(dir) });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'DASHBOARD_NOT_BUILT', message: expect.stringContaining('npm run build') } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/shift' })).json()).toEqual({ today: 3 });
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built page with its Content-Security-Policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashd-assets-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'app.js'), 'export {};');
    const app = Fastify();
    await app.register(dashboardPlugin, { deps: deps(dir) });
    for (const url of ['/', '/app.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
