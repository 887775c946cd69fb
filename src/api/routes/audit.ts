import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuditStore } from '../../store/audit-store.js';
import { ErrorBody, Nullable, literals } from '../schemas.js';

const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
    actor: Type.Optional(Type.String({ maxLength: 64 })),
    route: Type.Optional(Type.String({ maxLength: 200 })),
    target: Type.Optional(Type.String({ maxLength: 100 })),
    outcome: Type.Optional(literals(['ok', 'refused'] as const)),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export const AuditRecordSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  requestId: Type.String(),
  actorKind: literals(['token', 'session', 'loopback', 'anonymous'] as const),
  actor: Type.String(),
  tokenId: Nullable(Type.String()),
  operatorId: Nullable(Type.String()),
  role: Nullable(Type.String()),
  method: Type.String(),
  route: Type.String(),
  target: Nullable(Type.String()),
  status: Type.Integer(),
  errorCode: Nullable(Type.String()),
});

/** `GET /api/v1/audit`: the mutations trail, newest first, for supervisors (docs/api.md, "Audit trail"). */
export const auditRoutes: FastifyPluginAsync<{ audit: AuditStore }> = async (app, { audit }) => {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit',
    {
      config: { role: 'supervisor' },
      schema: {
        querystring: AuditQuery,
        response: { 200: Type.Object({ items: Type.Array(AuditRecordSchema), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }), 400: ErrorBody },
      },
    },
    async (request) => audit.list(request.query),
  );
};
