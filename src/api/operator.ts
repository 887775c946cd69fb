import type { FastifyRequest } from 'fastify';
import { FlashdError } from '../domain/errors.js';

/**
 * Who acts, as the access hook established it: the signed-in technician, else the token's name,
 * else (the loopback grant) the bench's operator. Never a header or body field the client
 * declares (issue 11): the identity recorded on a mutation is the one that was checked.
 */
export function operatorOf(request: FastifyRequest): string {
  const operatorId = request.actor?.operatorId;
  if (operatorId === undefined) throw new FlashdError('AUTH_REQUIRED', 'this action records who did it: send a token or sign in');
  return operatorId;
}
