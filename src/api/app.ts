import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Bench } from '../bench/bench.js';
import { isFlashdError, type ErrorCode } from '../domain/errors.js';
import type { ChargesStore } from '../store/charges-store.js';
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
import type { FlashdMetrics } from './metrics.js';
import { dashboardPlugin, type DashboardDeps } from '../dashboard/plugin.js';

export interface ApiDeps {
  benchId: string;
  bench: Pick<Bench, 'slots' | 'activeSessions' | 'retry' | 'operatorId' | 'setOperator'>;
  store: FlashStore;
  workOrders: WorkOrderStore;
  intake: IntakeStore;
  settlement: SettlementStore;
  charges: ChargesStore;
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
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  DEVICE_ID_INVALID: 400,
  FIRMWARE_VERSION_INVALID: 400,
  STORE_INVALID_STATE: 409,
  WORK_ORDER_ID_INVALID: 400,
  SEC_PARTY_ID_INVALID: 400,
  OPERATOR_ID_INVALID: 400,
  WORK_ORDER_INVALID: 422,
  WORK_ORDER_EXISTS: 409,
  WORK_ORDER_NOT_OPEN: 409,
  WORK_ORDER_NOT_SETTLED: 409,
  WORK_ORDER_HAS_RECEIVED_HUBS: 409,
  HUB_TRANSITION_ILLEGAL: 409,
  HUB_NOT_IN_SLOT: 409,
  SLOT_UNAVAILABLE: 409,
  HUB_NOT_ON_WORK_ORDER: 404,
  HUB_NOT_ON_THIS_WORK_ORDER: 409,
  RETURN_PARTY_MISMATCH: 409,
  OUTBOX_NOT_DEAD: 409,
  PERIOD_INVALID: 400,
};

const REQUEST_CODE_BY_STATUS: Partial<Record<number, string>> = { 413: 'REQUEST_TOO_LARGE', 415: 'REQUEST_MEDIA_TYPE', 404: 'NOT_FOUND' };

/** Builds the status API without listening, so tests use `inject()` and main decides where to listen. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    requestTimeout: 30_000,
    bodyLimit: 1_048_576,
    // Per-request lines would drown the bench's own log at the dashboard's poll rate.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isFlashdError(err)) {
      const status = STATUS_BY_CODE[err.code] ?? 500;
      if (status === 500) request.log.error({ err }, 'request failed');
      return reply.status(status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    if (err.validation) {
      return reply.status(400).send({ error: { code: 'REQUEST_INVALID', message: err.message } });
    }
    // Fastify's own errors (bad JSON, body too large, wrong content type) get documented request
    // codes, never its internal FST_ERR_* names.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'request failed');
    const code = REQUEST_CODE_BY_STATUS[status] ?? (status === 500 ? 'INTERNAL' : 'REQUEST_INVALID');
    return reply.status(status).send({ error: { code, message: status === 500 ? 'internal error' : err.message } });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } }));
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
  if (deps.dashboard) await app.register(dashboardPlugin, { deps: deps.dashboard });
  return app;
}
