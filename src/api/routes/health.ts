import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.js';

export const healthRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const started = Date.now();
  app.get(
    '/health',
    {
      config: { role: 'viewer' },
      schema: {
        response: { 200: Type.Object({ status: Type.Literal('ok'), benchId: Type.String(), uptimeSeconds: Type.Integer(), activeSessions: Type.Integer() }) },
      },
    },
    async () => ({
      status: 'ok' as const,
      benchId: deps.benchId,
      uptimeSeconds: Math.floor((Date.now() - started) / 1000),
      activeSessions: deps.bench.activeSessions,
    }),
  );
};
