import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { HUB_STATES } from '../../domain/hub-state.js';
import type { ApiDeps } from '../app.js';
import { operatorOf } from '../operator.js';
import {
  ImportQuery,
  NewWorkOrderBody,
  WorkOrderDetailSchema,
  WorkOrderId,
  WorkOrderListQuery,
  WorkOrderSchema,
  ReturnsBody,
  WorkOrderHubSchema,
} from '../process-schemas.js';
import { ErrorBody, literals } from '../schemas.js';

const IdParams = Type.Object({ id: WorkOrderId });
const HubsQuery = Type.Object({ state: Type.Optional(Type.Array(literals(HUB_STATES))) }, { additionalProperties: false });
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody };

/**
 * Work orders: created from JSON or imported from a CSV file (all or nothing), listed, shown with
 * their hubs, closed or cancelled; returns are marked on the work order the hubs came on.
 */
export const workOrderRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.post<{ Body: Static<typeof NewWorkOrderBody> }>(
    '/work-orders',
    { config: { role: 'admin' }, schema: { body: NewWorkOrderBody, response: { 201: WorkOrderSchema, ...errors } } },
    async (request, reply) => {
      const { hubs, ...header } = request.body;
      const order = deps.workOrders.create({ ...header, source: 'api', operatorId: operatorOf(request) }, { hubs }, deps.isKnownModel);
      return reply.status(201).send(order);
    },
  );

  app.post<{ Querystring: Static<typeof ImportQuery>; Body: string }>(
    '/work-orders/import',
    { config: { role: 'admin' }, schema: { querystring: ImportQuery, body: Type.String(), response: { 201: WorkOrderSchema, ...errors } } },
    async (request, reply) => {
      const order = deps.workOrders.create({ ...request.query, source: 'csv', operatorId: operatorOf(request) }, { csv: request.body }, deps.isKnownModel);
      return reply.status(201).send(order);
    },
  );

  app.get<{ Querystring: Static<typeof WorkOrderListQuery> }>(
    '/work-orders',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: WorkOrderListQuery,
        response: { 200: Type.Object({ items: Type.Array(WorkOrderSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 400: ErrorBody },
      },
    },
    async (request) => deps.workOrders.list(request.query),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/work-orders/:id',
    { config: { role: 'viewer' }, schema: { params: IdParams, response: { 200: WorkOrderDetailSchema, ...errors } } },
    async (request) => {
      const { order, hubs } = await deps.reports.read('workOrderWithHubs', request.params.id);
      return { ...order, hubs };
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof HubsQuery> }>(
    '/work-orders/:id/hubs',
    {
      config: { role: 'viewer' },
      schema: { params: IdParams, querystring: HubsQuery, response: { 200: Type.Object({ items: Type.Array(WorkOrderHubSchema) }), ...errors } },
    },
    async (request) => ({ items: await deps.reports.read('workOrderHubs', [request.params.id], request.query.state) }),
  );

  for (const action of ['close', 'cancel'] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(
      `/work-orders/:id/${action}`,
      { config: { role: 'supervisor' }, bodyLimit: 1024, schema: { params: IdParams, response: { 200: WorkOrderSchema, ...errors } } },
      async (request) => deps.settlement[action](request.params.id, operatorOf(request)),
    );
  }

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ReturnsBody> }>(
    '/work-orders/:id/returns',
    {
      config: { role: 'supervisor' },
      bodyLimit: 262_144,
      schema: {
        params: IdParams,
        body: ReturnsBody,
        response: { 200: Type.Object({ returned: Type.Array(WorkOrderHubSchema), workOrder: WorkOrderSchema }), ...errors },
      },
    },
    async (request) => deps.settlement.markReturned(request.params.id, { ...request.body, operatorId: operatorOf(request) }),
  );
};
