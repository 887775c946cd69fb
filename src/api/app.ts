import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Bench } from '../bench/bench.js';
import type { ReportReader } from '../store/report-reader.js';
import type { FlashStore } from '../store/flash-store.js';
import type { IntakeStore } from '../store/intake-store.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { SettlementStore } from '../store/settlement-store.js';
import type { WorkOrderStore } from '../store/work-order-store.js';
import { hubActionRoutes } from './routes/hub-actions.js';
import { hubRoutes } from './routes/hubs.js';
import { intakeRoutes } from './routes/intake.js';
import { operatorRoutes } from './routes/operator.js';
import { reportRoutes } from './routes/reports.js';
import { workOrderRoutes } from './routes/work-orders.js';
import { slotRoutes } from './routes/slots.js';
import { healthRoutes } from './routes/health.js';
import { outboxRoutes } from './routes/outbox.js';
import { metricsRoutes } from './routes/metrics.js';
import { backupRoutes } from './routes/backup.js';
import type { Db } from '../store/open-database.js';
import { guardRoutes } from './routes/guards.js';
import type { GuardKeeper } from '../bench/guard-keeper.js';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH, clientErrorHandler, sendErrorReply } from './error-replies.js';
import type { FlashdMetrics } from './metrics.js';
import { refuseNonFinite, requireRouteMediaType } from './request-guards.js';
import { dashboardPlugin, type DashboardDeps } from '../dashboard/plugin.js';
import { adapterRoutes, type AdapterDeps } from './routes/adapters.js';
import { FailureLimiter } from './access/failure-limiter.js';
import { SessionStore } from './access/sessions.js';
import { accessHook } from './access/access-hook.js';
import { type ApiAccess } from './access/access-options.js';
import type { AuditStore } from '../store/audit-store.js';
import { auditHook } from './audit-hook.js';
import { auditRoutes } from './routes/audit.js';
import { sessionRoutes } from './routes/session.js';
import { openApiRoutes } from './routes/openapi.js';
import { documentedRoutes, type DocumentedRoute } from './openapi.js';

/** The API's version in its OpenAPI document: the /api/v1 contract, revised as routes change. */
export const API_VERSION = '1.1.0';

export interface ApiDeps extends AdapterDeps {
  benchId: string;
  bench: Pick<Bench, 'slots' | 'activeSessions' | 'retry' | 'operatorId' | 'setOperator'>;
  store: FlashStore;
  workOrders: WorkOrderStore;
  intake: IntakeStore;
  settlement: SettlementStore;
  /** The N3 outbox table; read and re-queued through the API whatever `upstream.mode` says. */
  outbox: OutboxStore;
  /** `upstream.mode`, and the drainer's wake-up when N3 reporting runs. Default `ssmi`. */
  upstream?: { mode: 'ssmi' | 'n3' | 'both'; wake?: () => void } | undefined;
  /** Device Models the image catalogue holds: a work order naming any other model is refused. */
  isKnownModel: (model: string) => boolean;
  /** Served at `GET /metrics`; fed by whoever owns the bench (main wires its `finished` events). */
  metrics: FlashdMetrics;
  log: Logger;
  /** The technician's page at `/` with `GET /api/v1/events` and `/api/v1/shift` (docs/dashboard.md). */
  dashboard?: DashboardDeps | undefined;
  /** Who may ask (docs/api.md, "Access"); default: a loopback listener granting `admin` to local clients. */
  access?: ApiAccess | undefined;
  /** The append-only audit trail of mutations; without it nothing is recorded (a test app). */
  audit?: AuditStore | undefined;
  /** TLS key and certificate (PEM) to serve HTTPS with. */
  https?: { key: Buffer; cert: Buffer } | undefined;
  /** `POST /api/v1/backup`: the store's connection and the folder the copy is written in before it is sent. */
  backup?: { db: Db; dir: string } | undefined;
  /** The quality guards: `GET /api/v1/guards` and a supervisor's releases (docs/quality-guards.md). */
  guards?: Pick<GuardKeeper, 'view' | 'supervise'> | undefined;
  /**
   * The reads that grow with what is asked (charges, failures by batch, a work order's hubs and
   * its exports): in the report thread of a daemon, on the daemon's connection in a test app.
   */
  reports: ReportReader;
}

/** The access of a default `npm start`: loopback only, every local client an admin, no tokens. */
export function loopbackAccess(overrides: Partial<ApiAccess> = {}): ApiAccess {
  return {
    loopbackListener: true,
    loopbackRole: 'admin',
    tokens: undefined,
    pins: undefined,
    sessions: new SessionStore({ ttlMs: 12 * 3_600_000 }),
    allowedHosts: [],
    corsOrigins: [],
    failures: new FailureLimiter(30),
    tls: false,
    ...overrides,
  };
}

/** Builds the status API without listening, so tests use `inject()` and main decides where to listen. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log;
  const access = deps.access ?? loopbackAccess();
  const app = Fastify({
    ...(deps.https ? { https: deps.https } : {}),
    loggerInstance,
    // Ours, not the client's: an id in a log line must not be one a caller chose.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    requestTimeout: 30_000,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Per-request lines would drown the bench's own log at the dashboard's poll rate.
    logController: new LogController({ disableRequestLogging: true }),
    // Every refusal, Fastify's and Node's included, is `{ error: { code, message } }` (docs/errors.md).
    frameworkErrors: (err, request, reply) => void sendErrorReply(err, request, reply),
    clientErrorHandler,
  });
  app.decorateRequest('actor', null as never);
  app.decorateRequest('errorCode', undefined);
  app.addHook('onRequest', async (request, reply) => void reply.header('x-request-id', request.id));
  app.addHook(
    'onRequest',
    accessHook(access, () => deps.bench.operatorId),
  );
  // A session's result commits before its fsync ends (store/wal-durability.ts): no answer shows it until it is on disk.
  app.addHook('preHandler', () => deps.store.synced().catch(() => undefined));
  if (deps.audit) app.addHook('onResponse', auditHook(deps.audit));
  app.setErrorHandler(sendErrorReply);
  // Every route, as it registers, for the OpenAPI document; the access hook enforces their roles.
  const routes: DocumentedRoute[] = [];
  app.addHook('onRoute', (options) => void routes.push(...documentedRoutes(options)));
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`, requestId: request.id } }),
  );
  // Only JSON and (for the import) CSV bodies: a text/plain body is refused, never parsed.
  app.removeContentTypeParser('text/plain');
  // A mutation without a body still names its type (the CSRF rule in access/host-origin.ts): empty JSON is no body.
  app.removeContentTypeParser('application/json');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    void parseJson(request, body as string, done);
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addHook('preValidation', requireRouteMediaType);
  app.addHook('preHandler', refuseNonFinite);
  // Node refuses an `Expect` other than 100-continue with a bare 417; answer it in the API's format.
  app.server.on('checkExpectation', (_req, res) => {
    const body = JSON.stringify({ error: { code: 'REQUEST_INVALID', message: 'only Expect: 100-continue is supported' } });
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await app.register(healthRoutes, { prefix: '/api/v1', deps });
  await app.register(slotRoutes, { prefix: '/api/v1', deps });
  await app.register(hubRoutes, { prefix: '/api/v1', deps });
  await app.register(workOrderRoutes, { prefix: '/api/v1', deps });
  await app.register(intakeRoutes, { prefix: '/api/v1', deps });
  await app.register(hubActionRoutes, { prefix: '/api/v1', deps });
  await app.register(reportRoutes, { prefix: '/api/v1', deps });
  await app.register(operatorRoutes, { prefix: '/api/v1', deps });
  await app.register(outboxRoutes, { prefix: '/api/v1', deps });
  await app.register(metricsRoutes, { deps });
  await app.register(adapterRoutes, { prefix: '/api/v1', deps });
  await app.register(sessionRoutes, { prefix: '/api/v1', access });
  if (deps.audit) await app.register(auditRoutes, { prefix: '/api/v1', audit: deps.audit });
  await app.register(openApiRoutes, { deps, routes, version: API_VERSION });
  await app.register(backupRoutes, { prefix: '/api/v1', deps });
  await app.register(guardRoutes, { prefix: '/api/v1', deps });
  if (deps.dashboard) await app.register(dashboardPlugin, { deps: deps.dashboard });
  return app;
}
