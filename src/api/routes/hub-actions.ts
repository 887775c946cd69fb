import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FlashdError } from '../../domain/errors.js';
import { FLASHABLE_STATES } from '../../domain/hub-state.js';
import { parseDeviceId } from '../../domain/identifiers.js';
import type { ApiDeps } from '../app.js';
import { operatorOf } from '../operator.js';
import { WorkOrderHubSchema } from '../process-schemas.js';
import { ErrorBody } from '../schemas.js';

const Params = Type.Object({ deviceId: Type.String() });
const ScrapBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** A hub's work orders, and the technician's actions on a hub: retry a failed attempt, confirm scrap. */
export const hubActionRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.get<{ Params: Static<typeof Params> }>(
    '/hubs/:deviceId/work-orders',
    { config: { role: 'viewer' }, schema: { params: Params, response: { 200: Type.Object({ items: Type.Array(WorkOrderHubSchema) }), ...errors } } },
    async (request) => ({ items: deps.workOrders.history(parseDeviceId(request.params.deviceId)) }),
  );

  /** Like the slot button, but from the back-office or flashctl: the hub must sit idle in a slot. */
  app.post<{ Params: Static<typeof Params> }>(
    '/hubs/:deviceId/retry',
    {
      config: { role: 'technician' },
      bodyLimit: 1024,
      schema: { params: Params, response: { 202: Type.Object({ deviceId: Type.String(), jig: Type.String(), slot: Type.Integer() }), ...errors } },
    },
    async (request, reply) => {
      const deviceId = parseDeviceId(request.params.deviceId);
      const live = deps.workOrders.liveHub(deviceId);
      if (!live) throw new FlashdError('HUB_NOT_ON_WORK_ORDER', `${deviceId} is not live on any open work order`);
      if (!FLASHABLE_STATES.includes(live.state)) {
        throw new FlashdError(
          'HUB_TRANSITION_ILLEGAL',
          `${deviceId} is ${live.state} on work order ${live.workOrderId}; only ${FLASHABLE_STATES.join(' or ')} hubs are retried`,
          {
            details: { state: live.state, workOrderId: live.workOrderId },
          },
        );
      }
      const where = deps.bench.retry(deviceId, operatorOf(request));
      return reply.status(202).send({ deviceId, ...where });
    },
  );

  /** scrap is final only when a named technician confirms it. */
  app.post<{ Params: Static<typeof Params>; Body: Static<typeof ScrapBody> | undefined }>(
    '/hubs/:deviceId/confirm-scrap',
    {
      config: { role: 'supervisor' },
      bodyLimit: 4096,
      schema: { params: Params, body: ScrapBody, response: { 200: WorkOrderHubSchema, ...errors } },
      // A bodyless request (the note is optional) is an empty body.
      preValidation: async (request) => void (request.body ??= {}),
    },
    async (request) => deps.settlement.confirmScrap(parseDeviceId(request.params.deviceId), operatorOf(request), request.body?.note),
  );
};
