import type { FastifyRequest } from 'fastify';
import { FlashdError } from '../domain/errors.js';

/**
 * Where `value` holds a number that is not finite, as a path like `querystring/limit`. Ajv's type
 * coercion turns `"Infinity"` and `"1e309"` into Infinity and then skips `minimum`/`maximum` for
 * non-finite numbers, and `JSON.parse('1e309')` is Infinity too; no API field means infinity.
 */
export function nonFinitePath(value: unknown, root: string): string | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [item, path] = stack.pop()!;
    if (typeof item === 'number' && !Number.isFinite(item)) return path;
    if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) stack.push([child, `${path}/${key}`]);
    }
  }
  return undefined;
}

/** After validation: refuses a request whose query, path or body holds a non-finite number. */
export async function refuseNonFinite(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['querystring', request.query],
    ['params', request.params],
    ['body', request.body],
  ] as const) {
    const path = nonFinitePath(value, part);
    if (path) throw new FlashdError('REQUEST_INVALID', `${path} must be a finite number`, { details: { field: path } });
  }
}

/** The media type a route's body schema takes: a string body is a CSV file, anything else JSON. */
function mediaTypeFor(request: FastifyRequest): string {
  const schema = request.routeOptions.schema?.body as { type?: unknown } | undefined;
  return schema?.type === 'string' ? 'text/csv' : 'application/json';
}

/**
 * Before validation: a body must come as the one media type its route takes. Refusing every other
 * type (text/plain above all, which a web page may send cross-site without a preflight) keeps
 * another site's form from creating work orders.
 */
export async function requireRouteMediaType(request: FastifyRequest): Promise<void> {
  const header = request.headers['content-type'];
  if (header === undefined || request.body === undefined) return;
  const given = header.split(';')[0]!.trim().toLowerCase();
  const wanted = mediaTypeFor(request);
  if (given !== wanted)
    throw new FlashdError('REQUEST_MEDIA_TYPE', `this route takes ${wanted}, not ${given.slice(0, 80) || 'an empty content type'}`, {
      details: { expected: wanted },
    });
}
