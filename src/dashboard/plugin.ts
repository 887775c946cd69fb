import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { PACKAGE_ROOT } from '../config/package-root.js';
import { FlashdError } from '../domain/errors.js';
import type { BenchEventBus } from '../live/bench-event-bus.js';
import type { SseClientOptions } from '../live/sse-client.js';
import { eventRoutes } from '../live/sse-route.js';
import type { ShiftFigureReader } from '../store/shift-figures.js';

export interface DashboardDeps {
  events: BenchEventBus;
  shift: Pick<ShiftFigureReader, 'read'>;
  /** Built page (`npm run build`). Default dist/dashboard in the package. */
  assetsDir?: string;
  sse?: Omit<SseClientOptions, 'onClose'>;
}

/** Everything from this origin, nothing inline, nothing from the network (docs/dashboard.md, "Security"). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const DEFAULT_ASSETS_DIR = join(PACKAGE_ROOT, 'dist', 'dashboard');

/** The technician's page at `/`, its live events and the shift figures. */
export const dashboardPlugin: FastifyPluginAsync<{ deps: DashboardDeps }> = async (app, { deps }) => {
  await app.register(eventRoutes, { prefix: '/api/v1', events: deps.events, client: deps.sse });
  app.get('/api/v1/shift', { config: { role: 'viewer' } }, async () => deps.shift.read());
  // The page and its assets hold no data and must load before anyone signs in.
  app.addHook('onRoute', (options) => void (options.config = { role: 'public', ...options.config }));
  const root = deps.assetsDir ?? DEFAULT_ASSETS_DIR;
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard not built: run npm run build');
    const NotBuilt = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String(), requestId: Type.Optional(Type.String()) }) });
    app.get('/', { schema: { response: { 503: NotBuilt } } }, async () => {
      throw new FlashdError('DASHBOARD_NOT_BUILT', `the dashboard is not built: run npm run build (looked in ${root})`);
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    wildcard: false,
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader('cache-control', 'no-cache');
    },
  });
};
