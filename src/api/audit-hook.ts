import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditStore } from '../store/audit-store.js';
import { SAFE_METHODS } from './access/host-origin.js';

/** What a mutation acted on: its path id, else the id of what it creates, else the scanned hub. */
function targetOf(request: FastifyRequest): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  const fromPath = params?.id ?? params?.deviceId;
  if (typeof fromPath === 'string' || typeof fromPath === 'number') return String(fromPath).slice(0, 100);
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body as Record<string, unknown> | undefined;
  const named = (typeof body === 'object' && body !== null ? (body.id ?? body.deviceId ?? body.operatorId) : undefined) ?? query?.id;
  return typeof named === 'string' ? named.slice(0, 100) : null;
}

/**
 * Every request to a mutating route, allowed or refused, becomes one audit row once answered.
 * Reads are not audited: the trail answers "who changed what", and a dashboard polls.
 */
export function auditHook(audit: AuditStore) {
  return async function onResponse(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (SAFE_METHODS.has(request.method) || request.is404 || !request.routeOptions.url) return;
    const actor = request.actor;
    try {
      audit.append({
        at: new Date().toISOString(),
        requestId: request.id,
        actorKind: actor.kind,
        actor: actor.name,
        tokenId: actor.tokenId ?? null,
        operatorId: actor.operatorId ?? null,
        role: actor.role ?? null,
        method: request.method,
        route: request.routeOptions.url,
        target: targetOf(request),
        status: reply.statusCode,
        errorCode: request.errorCode ?? null,
      });
    } catch (err) {
      // The answer is already sent; a full disk must not take the API down with it.
      request.log.error({ err }, 'audit record not stored');
    }
  };
}
