import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.js';
import { openApiDocument, type DocumentedRoute } from '../openapi.js';
import { docsPage } from '../openapi-html.js';

/** `GET /api/v1/openapi.json` and a readable page of it at `/api/docs` (no script, no network). */
export const openApiRoutes: FastifyPluginAsync<{ deps: ApiDeps; routes: readonly DocumentedRoute[]; version: string }> = async (app, { routes, version }) => {
  let document: Record<string, unknown> | undefined;
  // Built on first use, when every route, this one's siblings included, has registered.
  const doc = (): Record<string, unknown> => (document ??= openApiDocument(routes, version));
  app.get('/api/v1/openapi.json', { config: { role: 'viewer' } }, async () => doc());
  app.get('/api/docs', { config: { role: 'viewer' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(docsPage(doc())),
  );
};
