import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.js';
import { OperatorId } from '../process-schemas.js';
import { ErrorBody } from '../schemas.js';

const OperatorBody = Type.Object({ operatorId: OperatorId }, { additionalProperties: false });

/**
 * Who is at the bench. Attempts the bench starts by itself (a hub inserted, the slot button) are
 * recorded under this operator; it starts as `process.operatorId` and lasts until flashd restarts.
 */
export const operatorRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const Reply = Type.Object({ operatorId: Type.String() });
  app.get('/bench/operator', { config: { role: 'viewer' }, schema: { response: { 200: Reply } } }, async () => ({ operatorId: deps.bench.operatorId }));
  app.put<{ Body: Static<typeof OperatorBody> }>(
    '/bench/operator',
    { config: { role: 'technician' }, bodyLimit: 1024, schema: { body: OperatorBody, response: { 200: Reply, 400: ErrorBody } } },
    async (request) => {
      deps.bench.setOperator(request.body.operatorId);
      request.log.info({ operatorId: request.body.operatorId }, 'bench operator changed');
      return { operatorId: deps.bench.operatorId };
    },
  );
};
