import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { FlashdError } from '../../domain/errors.js';
import { parseDeviceId } from '../../domain/identifiers.js';
import type { ApiDeps } from '../app.js';
import { ErrorBody, HubDetailSchema, HubListQuery, HubSchema } from '../schemas.js';

export const hubRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.get<{ Querystring: Static<typeof HubListQuery> }>(
    '/hubs',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: HubListQuery,
        response: { 200: Type.Object({ items: Type.Array(HubSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 400: ErrorBody },
      },
    },
    async (request) => deps.store.listHubs(request.query),
  );

  app.get<{ Params: { deviceId: string } }>(
    '/hubs/:deviceId',
    {
      config: { role: 'viewer' },
      schema: { params: Type.Object({ deviceId: Type.String() }), response: { 200: HubDetailSchema, 400: ErrorBody, 404: ErrorBody } },
    },
    async (request) => {
      const deviceId = parseDeviceId(request.params.deviceId);
      const hub = deps.store.getHub(deviceId);
      if (!hub) throw new FlashdError('NOT_FOUND', `no hub ${deviceId} on record`);
      return hub;
    },
  );
};
