import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FlashdError } from '../../domain/errors.js';
import { GUARD_ACTION_KINDS } from '../../domain/guard-action.js';
import type { ApiDeps } from '../app.js';
import { operatorOf } from '../operator.js';
import { OperatorId } from '../process-schemas.js';
import { ErrorBody, Nullable, literals } from '../schemas.js';
import { startOfLocalDay } from '../../domain/shift-day.js';

const Hex8 = Type.String({ pattern: '^[0-9A-F]{8}$' });
const ModelParams = Type.Object({ model: Hex8, version: Hex8 });
const SlotParams = Type.Object({ jig: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' }), slot: Type.Integer({ minimum: 1, maximum: 8 }) });
/** A release is a supervisor's decision: who and why are kept with it. */
const NoteBody = Type.Object({ note: Type.String({ minLength: 1, maxLength: 500 }), operatorId: Type.Optional(OperatorId) }, { additionalProperties: false });

const ActionSchema = Type.Object({
  id: Type.Integer(),
  kind: literals(GUARD_ACTION_KINDS),
  model: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  jig: Type.Optional(Type.String()),
  slot: Type.Optional(Type.Integer()),
  by: Type.String(),
  reason: Type.String(),
  at: Type.String(),
});
const GuardsSchema = Type.Object({
  enabled: Type.Boolean(),
  canaries: Type.Array(
    Type.Object({
      model: Type.String(),
      version: Type.String(),
      status: literals(['RUNNING', 'PASSED', 'FAILED'] as const),
      passed: Type.Integer(),
      running: Type.Integer(),
      hubs: Type.Integer(),
      reason: Nullable(Type.String()),
    }),
  ),
  models: Type.Array(
    Type.Object({
      model: Type.String(),
      version: Type.String(),
      halted: Type.Boolean(),
      reason: Nullable(Type.String()),
      sessions: Type.Integer(),
      failures: Type.Integer(),
    }),
  ),
  slots: Type.Array(
    Type.Object({
      jig: Type.String(),
      slot: Type.Integer(),
      status: literals(['IN_SERVICE', 'SUSPECT', 'SELF_TEST'] as const),
      reason: Nullable(Type.String()),
      sessions: Type.Integer(),
      faults: Type.Integer(),
    }),
  ),
  actions: Type.Array(ActionSchema),
});
const BatchQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
const BatchSchema = Type.Object({
  workOrderId: Nullable(Type.String()),
  model: Type.String(),
  hardwareVersion: Type.Integer(),
  firmwareBefore: Type.String(),
  hubs: Type.Integer(),
  failedHubs: Type.Integer(),
  failedAttempts: Type.Integer(),
  codes: Type.Array(Type.Object({ code: Type.String(), count: Type.Integer() })),
});
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** The quality guards (docs/quality-guards.md): their state, a supervisor's releases, and failures by batch. */
export const guardRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { guards, reports } = deps;
  app.get<{ Querystring: Static<typeof BatchQuery> }>(
    '/batches',
    {
      config: { role: 'viewer' },
      schema: { querystring: BatchQuery, response: { 200: Type.Object({ since: Type.String(), items: Type.Array(BatchSchema) }), ...errors } },
    },
    async (request) => {
      const since = request.query.since ?? startOfLocalDay();
      return { since, items: await reports.read('batchFailures', new Date(since).toISOString(), request.query.limit) };
    },
  );
  if (!guards) return;
  app.get('/guards', { config: { role: 'viewer' }, schema: { response: { 200: GuardsSchema } } }, async () => guards.view());

  const respond = { response: { 200: ActionSchema, ...errors } };
  app.post<{ Params: Static<typeof ModelParams>; Body: Static<typeof NoteBody> }>(
    '/guards/canaries/:model/:version/release',
    { config: { role: 'supervisor' }, schema: { params: ModelParams, body: NoteBody, ...respond } },
    async (request) => guards.supervise('CANARY_RELEASED', knownModel(deps, request.params), operatorOf(request), request.body.note),
  );
  app.post<{ Params: Static<typeof ModelParams>; Body: Static<typeof NoteBody> }>(
    '/guards/models/:model/:version/resume',
    { config: { role: 'supervisor' }, schema: { params: ModelParams, body: NoteBody, ...respond } },
    async (request) => guards.supervise('MODEL_RESUMED', knownModel(deps, request.params), operatorOf(request), request.body.note),
  );
  app.post<{ Params: Static<typeof SlotParams>; Body: Static<typeof NoteBody> }>(
    '/guards/slots/:jig/:slot/release',
    { config: { role: 'supervisor' }, schema: { params: SlotParams, body: NoteBody, ...respond } },
    async (request) => guards.supervise('SLOT_RELEASED', request.params, operatorOf(request), request.body.note),
  );
  app.post<{ Params: Static<typeof SlotParams>; Body: Static<typeof NoteBody> }>(
    '/guards/slots/:jig/:slot/self-test',
    { config: { role: 'supervisor' }, schema: { params: SlotParams, body: NoteBody, ...respond } },
    async (request) => guards.supervise('SLOT_SELF_TEST', request.params, operatorOf(request), request.body.note),
  );
};

/** A release names a model the catalogue holds: a typo must not release a canary no hub will ever run. */
function knownModel<T extends { model: string }>(deps: ApiDeps, params: T): T {
  if (!deps.isKnownModel(params.model))
    throw new FlashdError('NOT_FOUND', `no image is catalogued for Device Model ${params.model}`, { details: { model: params.model } });
  return params;
}
