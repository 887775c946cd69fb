import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackAddress } from '../../config/api-access-schema.js';
import { FlashdError } from '../../domain/errors.js';
import type { ApiAccess } from './access-options.js';
import { ANONYMOUS, type Actor } from './actor.js';
import { checkHost, checkMutationType, checkOrigin } from './host-origin.js';
import { higherRole, roleSatisfies } from './roles.js';
import { SESSION_COOKIE, cookieValue } from './sessions.js';

/** The bench's operator, for what the loopback grant does without a sign-in. */
export type BenchOperator = () => string;

/**
 * The one place access is decided, as an `onRequest` hook: Host, Origin, the media type of a
 * mutation, who is asking, and whether their role reaches the route's `config.role`. A route
 * without a declared role needs `admin` (and a test fails for it).
 */
export function accessHook(access: ApiAccess, benchOperator: BenchOperator) {
  const limiter = access.failures;
  const client = (request: FastifyRequest): string => request.socket?.remoteAddress ?? request.ip ?? 'unknown';

  function fromToken(request: FastifyRequest, header: string): Actor {
    const who = client(request);
    if (limiter.limited(who)) throw new FlashdError('AUTH_RATE_LIMITED', 'too many failed authentications from this address: wait a minute');
    const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
    const entry = match && access.tokens ? access.tokens.find(match[1]!) : undefined;
    if (!entry || entry.revokedAt !== null) {
      limiter.fail(who);
      request.log.warn({ client: who, tokenId: entry?.id }, entry ? 'revoked API token used' : 'unknown API token refused');
      if (entry) throw new FlashdError('AUTH_TOKEN_REVOKED', `token ${entry.id} (${entry.name}) was revoked at ${entry.revokedAt}`);
      throw new FlashdError('AUTH_TOKEN_INVALID', match ? 'the bearer token is not valid here' : 'the Authorization header must be "Bearer <token>"');
    }
    return { kind: 'token', name: entry.name, role: entry.role, operatorId: entry.name, tokenId: entry.id };
  }

  function identify(request: FastifyRequest): Actor {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) return fromToken(request, authorization);
    const granted = access.loopbackListener && access.loopbackRole !== 'none' && isLoopbackAddress(client(request)) ? access.loopbackRole : undefined;
    const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = sessionId ? access.sessions.find(sessionId) : undefined;
    if (session) return { kind: 'session', name: session.operatorId, role: higherRole('technician', granted), operatorId: session.operatorId };
    if (granted) return { kind: 'loopback', name: 'loopback', role: granted, operatorId: benchOperator() };
    return ANONYMOUS;
  }

  return async function onRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.actor = ANONYMOUS;
    checkHost(request, access);
    if (checkOrigin(request, reply, access) === 'preflight') {
      await reply.status(204).send();
      return;
    }
    // An unknown route answers 404 whoever asks: nothing behind it to protect.
    if (request.is404) return;
    checkMutationType(request);
    request.actor = identify(request);
    const needed = request.routeOptions.config.role ?? 'admin';
    if (roleSatisfies(request.actor.role, needed)) return;
    if (request.actor.role === undefined) {
      throw new FlashdError(
        'AUTH_REQUIRED',
        `${request.method} ${request.routeOptions.url} needs the ${needed} role: send Authorization: Bearer <token> or sign in`,
        { details: { role: needed } },
      );
    }
    throw new FlashdError(
      'AUTH_ROLE_FORBIDDEN',
      `${request.method} ${request.routeOptions.url} needs the ${needed} role; ${request.actor.name} has ${request.actor.role}`,
      {
        details: { role: needed, held: request.actor.role },
      },
    );
  };
}
