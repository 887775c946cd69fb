import type { FastifyPluginAsync } from 'fastify';
import type { AdapterView } from '../../jig/adapters.js';

export interface AdapterDeps {
  /** Every serial adapter of the machine, classified against the config's jigs (src/jig/adapters.ts). */
  adapters?: (() => Promise<AdapterView[]>) | undefined;
}

/** `GET /api/v1/adapters`: what `flashctl adapters` and `flashctl udev-rules` read (docs/api.md). */
export const adapterRoutes: FastifyPluginAsync<{ deps: AdapterDeps }> = async (app, { deps }) => {
  app.get('/adapters', { config: { role: 'viewer' } }, async () => ({ items: deps.adapters ? await deps.adapters() : [] }));
};
