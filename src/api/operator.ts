import type { FastifyRequest } from 'fastify';
import { FlashdError } from '../domain/errors.js';
import { parseOperatorId } from '../domain/work-order.js';

/** The header a client names its operator in (flashctl sends `--operator` here). */
export const OPERATOR_HEADER = 'x-operator-id';

/**
 * Who asked: the `X-Operator-Id` header, else an `operatorId` body field, else whoever is signed in
 * at the bench (`fallback`). With `required`, a missing operator is an error: confirming scrap is
 * a named technician's decision, never the bench default.
 */
export function operatorOf(request: FastifyRequest, fallback: string | undefined, options: { required?: boolean } = {}): string {
  const header = request.headers[OPERATOR_HEADER];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const body = request.body as { operatorId?: unknown } | undefined;
  const given = fromHeader ?? (typeof body?.operatorId === 'string' ? body.operatorId : undefined);
  if (given !== undefined) return parseOperatorId(given);
  if (options.required || fallback === undefined) {
    throw new FlashdError('OPERATOR_ID_INVALID', `this action needs the operator's id: send the ${OPERATOR_HEADER} header or an operatorId field`);
  }
  return fallback;
}
