import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { REPORTED_OUTCOMES, OUTBOX_STATES } from '../../store/outbox-records.js';
import { N3_FIELDS } from '../../upstream/n3-notification.js';
import { outboxFigures } from '../../upstream/outbox-figures.js';
import type { ApiDeps } from '../app.js';
import { operatorOf } from '../operator.js';
import { ErrorBody, Nullable, literals } from '../schemas.js';

const Notification = Type.Object(Object.fromEntries(N3_FIELDS.map((f) => [f, f === 'hardwareVersion' || f === 'slot' ? Type.Integer() : Type.String()])));
const OutboxRow = Type.Object({
  id: Type.Integer(),
  idempotencyKey: Type.String(),
  deviceId: Type.String(),
  workOrderId: Type.String(),
  attemptId: Type.Integer(),
  outcome: literals(REPORTED_OUTCOMES),
  state: literals(OUTBOX_STATES),
  createdAt: Type.String(),
  attempts: Type.Integer(),
  lastAttemptAt: Nullable(Type.String()),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastErrorCode: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(Type.String()),
  deadAt: Nullable(Type.String()),
  deadReason: Nullable(Type.String()),
  requeueCount: Type.Integer(),
  payloadSha256: Type.String(),
  payload: Notification,
});
const Figures = Type.Object({
  mode: literals(['ssmi', 'n3', 'both'] as const),
  n3Enabled: Type.Boolean(),
  pending: Type.Integer(),
  blocked: Type.Integer(),
  delivered: Type.Integer(),
  dead: Type.Integer(),
  oldestPendingAgeSeconds: Type.Union([Type.Integer(), Type.Null()]),
  lastDeliveredAt: Nullable(Type.String()),
  deadLetters: Type.Array(OutboxRow),
});
const Query = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }, { additionalProperties: false });
const Params = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** The N3 outbox: its figures with every dead letter and why, and an operator's re-queue (docs/n3.md). */
export const outboxRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const mode = deps.upstream?.mode ?? 'ssmi';
  app.get<{ Querystring: Static<typeof Query> }>(
    '/outbox',
    { config: { role: 'viewer' }, schema: { querystring: Query, response: { 200: Figures, 400: ErrorBody } } },
    async (request) => ({
      mode,
      n3Enabled: mode !== 'ssmi',
      ...outboxFigures(deps.outbox, Date.now()),
      deadLetters: deps.outbox.deadLetters(request.query.limit),
    }),
  );

  app.post<{ Params: Static<typeof Params> }>(
    '/outbox/:id/requeue',
    {
      config: { role: 'supervisor' },
      bodyLimit: 1024,
      schema: { params: Params, response: { 200: OutboxRow, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } },
    },
    async (request) => {
      const operatorId = operatorOf(request);
      const row = deps.outbox.requeue(request.params.id, operatorId, new Date().toISOString());
      request.log.info(
        { outboxId: row.id, idempotencyKey: row.idempotencyKey, deviceId: row.deviceId, operatorId, deadReason: row.deadReason },
        'n3 dead letter re-queued',
      );
      deps.upstream?.wake?.();
      return row;
    },
  );
};
