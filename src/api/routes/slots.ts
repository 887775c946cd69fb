import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.js';
import { SlotSchema } from '../schemas.js';

export const slotRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.get('/slots', { config: { role: 'viewer' }, schema: { response: { 200: Type.Object({ items: Type.Array(SlotSchema) }) } } }, async () => ({
    items: deps.bench.slots(),
  }));
};
