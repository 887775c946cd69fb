import type { FastifyReply, FastifyRequest } from 'fastify';
import { FlashdError } from '../../domain/errors.js';
import type { ApiAccess } from './access-options.js';

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The name part of a Host header (`[::1]:8080` → `[::1]`), lower-cased; undefined when malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * DNS rebinding: a foreign site's name resolving to this bench still carries its own name in
 * `Host`, so only the configured names are answered.
 */
export function checkHost(request: FastifyRequest, access: ApiAccess): void {
  const name = hostName(request.headers.host);
  const allowed = [...DEFAULT_HOSTS, ...access.allowedHosts.map((h) => h.toLowerCase())];
  if (name === undefined || !allowed.includes(name)) {
    throw new FlashdError(
      'HOST_NOT_ALLOWED',
      `the Host header ${JSON.stringify((request.headers.host ?? '').slice(0, 100))} is not a name this API answers; add it to api.allowedHosts`,
      {
        details: { allowed },
      },
    );
  }
}

/**
 * CORS stays closed unless `api.corsOrigins` lists the page's origin; a state-changing request
 * from any other origin is refused before it is read, whatever credentials it carries.
 */
export function checkOrigin(request: FastifyRequest, reply: FastifyReply, access: ApiAccess): 'preflight' | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  const own = `${access.tls ? 'https' : 'http'}://${request.headers.host ?? ''}`.toLowerCase();
  const listed = access.corsOrigins.includes(origin);
  if (listed) {
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply
        .header('access-control-allow-methods', 'GET, POST, PUT, DELETE')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600');
      return 'preflight';
    }
  }
  if (!listed && origin.toLowerCase() !== own && !SAFE_METHODS.has(request.method)) {
    throw new FlashdError('ORIGIN_FORBIDDEN', `a page from ${origin.slice(0, 100)} may not change anything here; api.corsOrigins lists the origins that may`);
  }
  if (!listed && request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
    throw new FlashdError('ORIGIN_FORBIDDEN', `cross-origin requests from ${origin.slice(0, 100)} are not allowed; api.corsOrigins lists the origins that may`);
  }
  return undefined;
}

/**
 * A mutation must say it sends JSON (or CSV): a browser sends neither cross-site without a CORS
 * preflight, which is refused, so another site's form or `fetch` cannot change anything.
 */
export function checkMutationType(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'text/csv') {
    throw new FlashdError(
      'REQUEST_MEDIA_TYPE',
      `a ${request.method} request must be sent as application/json (text/csv for a work order import), not ${type.slice(0, 80) || 'without a Content-Type'}`,
      {
        details: { expected: 'application/json' },
      },
    );
  }
}
