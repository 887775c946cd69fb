import type { RouteOptions } from 'fastify';
import { ERROR_CODES } from '../domain/errors.js';
import type { RouteRole } from './access/roles.js';
import { STATUS_BY_CODE } from './error-replies.js';

type Schema = Record<string, unknown>;

/** A route as the OpenAPI document needs it; collected by an `onRoute` hook as routes register. */
export interface DocumentedRoute {
  method: string;
  url: string;
  role: RouteRole | undefined;
  schema: { params?: Schema; querystring?: Schema; body?: Schema; response?: Record<string, Schema> } | undefined;
}

export function documentedRoutes(options: RouteOptions): DocumentedRoute[] {
  const methods = Array.isArray(options.method) ? options.method : [options.method];
  return (
    methods
      .filter((m) => m !== 'HEAD')
      // Read when the document is built: a plugin's own onRoute hook (the dashboard's) may set the role after this one ran.
      .map((method) => ({
        method,
        url: options.url,
        get role() {
          return options.config?.role;
        },
        schema: options.schema as DocumentedRoute['schema'],
      }))
  );
}

/** TypeBox schemas carry symbols and `$id`-less refs; a JSON round trip leaves plain JSON Schema. */
const plain = (schema: unknown): Schema => JSON.parse(JSON.stringify(schema)) as Schema;
const errorRef = { $ref: '#/components/schemas/ErrorBody' };

function parameters(schema: Schema | undefined, where: 'path' | 'query'): Schema[] {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (required.has(name) && !('default' in s)),
    schema: plain(s),
  }));
}

function responses(route: DocumentedRoute): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const [status, schema] of Object.entries(route.schema?.response ?? {})) {
    const isError = Number(status) >= 400;
    out[status] = {
      description: isError ? 'refused: { error: { code, message, requestId } }' : 'answer',
      content: { 'application/json': { schema: isError ? errorRef : plain(schema) } },
    };
  }
  if (!Object.keys(out).some((s) => s.startsWith('2'))) out['200'] = { description: 'answer (CSV, text or an event stream where the route says so)' };
  // What any route may answer before its handler runs; a bearer token is checked even on a public route.
  const refusals: Record<string, string> = {
    400: 'REQUEST_INVALID',
    401: 'AUTH_REQUIRED, AUTH_TOKEN_INVALID, AUTH_TOKEN_REVOKED',
    403: 'AUTH_ROLE_FORBIDDEN, ORIGIN_FORBIDDEN',
    413: 'REQUEST_TOO_LARGE',
    414: 'REQUEST_URL_TOO_LONG',
    415: 'REQUEST_MEDIA_TYPE',
    421: 'HOST_NOT_ALLOWED',
    429: 'AUTH_RATE_LIMITED',
  };
  for (const [status, codes] of Object.entries(refusals))
    out[status] ??= { description: `refused (${codes})`, content: { 'application/json': { schema: errorRef } } };
  return out;
}

/** The OpenAPI 3.1 document of the API, from the same TypeBox schemas the routes validate with. */
export function openApiDocument(routes: readonly DocumentedRoute[], version: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const body = route.schema?.body;
    const operation: Schema = {
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: `${route.method} ${route.url}`,
      // A route that declares no role is enforced as admin; `undeclared` here lets a test find it.
      'x-flashd-role': route.role ?? 'undeclared',
      parameters: [...parameters(route.schema?.params, 'path'), ...parameters(route.schema?.querystring, 'query')],
      responses: responses(route),
      security: route.role === 'public' ? [] : [{ bearerToken: [] }, { sessionCookie: [] }, {}],
    };
    if (body)
      operation.requestBody = {
        required: (body as { type?: string }).type === 'string',
        content: { [(body as { type?: string }).type === 'string' ? 'text/csv' : 'application/json']: { schema: plain(body) } },
      };
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'flashd API',
      version,
      description:
        'The flashing bench: slots, hubs, work orders, reports, the N3 outbox, the audit trail. Roles, tokens and sign-in: docs/api.md. The empty security requirement is the loopback grant.',
    },
    paths,
    components: {
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'an API token from flashctl token create' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'flashd_session', description: 'a technician sign-in (POST /api/v1/session)' },
      },
      schemas: {
        ErrorBody: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CODES) },
                message: { type: 'string' },
                details: { type: 'object' },
                requestId: { type: 'string' },
              },
            },
          },
        },
      },
    },
    'x-error-codes': Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, text]) => [code, { status: STATUS_BY_CODE[code as keyof typeof ERROR_CODES] ?? 500, description: text }]),
    ),
  };
}
