import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.js';
import { operatorOf } from '../operator.js';
import { IntakeBody, IntakeResultSchema } from '../process-schemas.js';
import { ErrorBody } from '../schemas.js';

/**
 * Goods-in: one scanned Device ID per request, as a barcode scanner types it. A refused hub is a
 * normal answer (200, decision REJECTED with its reason code), not an error: the scan happened and
 * is journalled. A malformed Device ID is a 400 and records nothing.
 */
export const intakeRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.post<{ Body: Static<typeof IntakeBody> }>(
    '/intake',
    { config: { role: 'technician' }, bodyLimit: 4096, schema: { body: IntakeBody, response: { 200: IntakeResultSchema, 400: ErrorBody, 404: ErrorBody } } },
    async (request) => {
      const { deviceId, workOrderId } = request.body;
      if (workOrderId !== undefined) deps.workOrders.require(workOrderId);
      const result = deps.intake.scan({ deviceId, workOrderId, operatorId: operatorOf(request) });
      const refusal = result.decision === 'REJECTED' ? { code: result.code, message: result.message } : {};
      return { decision: result.decision, deviceId: result.deviceId, workOrderId: result.workOrderId, hub: result.hub, ...refusal };
    },
  );
};
