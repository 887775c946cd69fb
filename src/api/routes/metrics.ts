import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.js';

/** Prometheus scrape endpoint, at the root as scrapers expect (docs/operations.md, "Metrics"). */
export const metricsRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.get('/metrics', { config: { role: 'viewer' } }, async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.text()));
};
