import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { isLoopbackAddress } from '../../config/api-access-schema.js';
import { FlashdError } from '../../domain/errors.js';
import { SESSION_COOKIE, cookieValue, sessionCookie } from '../access/sessions.js';
import { type ApiAccess } from '../access/access-options.js';
import { OperatorId } from '../process-schemas.js';
import { ErrorBody, Nullable } from '../schemas.js';

const SignIn = Type.Object({ operatorId: OperatorId, pin: Type.Optional(Type.String({ pattern: '^[0-9]{4,12}$' })) }, { additionalProperties: false });
const Whoami = Type.Object({
  kind: Type.String(),
  name: Type.String(),
  role: Nullable(Type.String()),
  operatorId: Nullable(Type.String()),
  /** Whether signing in needs a PIN. */
  pinRequired: Type.Boolean(),
});

/**
 * Technician sign-in (docs/api.md, "Technician sign-in"): an operator id, and the PIN when
 * `api.operatorPinsFile` is set, become an HttpOnly SameSite=Strict session cookie; what the
 * session changes records that operator. Without a PIN file only a client of a loopback listener
 * may sign in. The bench's own operator (PUT /bench/operator) is a separate, explicit step.
 */
export const sessionRoutes: FastifyPluginAsync<{ access: ApiAccess }> = async (app, { access }) => {
  const whoami = (request: { actor: { kind: string; name: string; role: string | undefined; operatorId: string | undefined } }) => ({
    kind: request.actor.kind,
    name: request.actor.name,
    role: request.actor.role ?? null,
    operatorId: request.actor.operatorId ?? null,
    pinRequired: access.pins !== undefined,
  });

  app.get('/session', { config: { role: 'public' }, schema: { response: { 200: Whoami } } }, async (request) => whoami(request));

  app.post<{ Body: Static<typeof SignIn> }>(
    '/session',
    { config: { role: 'public' }, bodyLimit: 1024, schema: { body: SignIn, response: { 200: Whoami, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody } } },
    async (request, reply) => {
      const { operatorId, pin } = request.body;
      const client = request.socket?.remoteAddress ?? 'unknown';
      if (access.failures.limited(client)) throw new FlashdError('AUTH_RATE_LIMITED', 'too many failed sign-ins from this address: wait a minute');
      const local = access.loopbackListener && isLoopbackAddress(client);
      const allowed = access.pins ? access.pins.verify(operatorId, pin) : local;
      if (!allowed) {
        access.failures.fail(client);
        throw new FlashdError(
          'AUTH_SIGN_IN_REFUSED',
          access.pins ? `wrong or missing PIN for ${operatorId}` : 'signing in from another machine needs api.operatorPinsFile',
        );
      }
      const id = access.sessions.create(operatorId);
      request.log.info({ operatorId }, 'technician signed in');
      request.actor = { kind: 'session', name: operatorId, role: 'technician', operatorId };
      return reply.header('set-cookie', sessionCookie(id, Math.floor(access.sessions.ttlMs / 1000), access.tls)).send(whoami(request));
    },
  );

  app.delete('/session', { config: { role: 'public' }, schema: { response: { 200: Whoami } } }, async (request, reply) => {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (id) access.sessions.end(id);
    return reply
      .header('set-cookie', sessionCookie('', 0, access.tls))
      .send({ kind: 'anonymous', name: 'anonymous', role: null, operatorId: null, pinRequired: access.pins !== undefined });
  });
};
