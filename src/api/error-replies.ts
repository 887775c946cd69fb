import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isFlashdError, type ErrorCode } from '../domain/errors.js';

/** Largest request body the API reads (1 MiB); a work order at its 4,480-hub maximum fits well inside. */
export const BODY_LIMIT_BYTES = 1_048_576;
/** Longest path parameter; the longest id the API takes is 64 characters. */
export const MAX_PARAM_LENGTH = 100;

/** HTTP status of every code a request can end in; a code not listed is a 500. */
export const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  REQUEST_INVALID: 400,
  REQUEST_TIMEOUT: 408,
  REQUEST_TOO_LARGE: 413,
  REQUEST_URL_TOO_LONG: 414,
  REQUEST_MEDIA_TYPE: 415,
  REQUEST_HEADERS_TOO_LARGE: 431,
  NOT_FOUND: 404,
  DEVICE_ID_INVALID: 400,
  FIRMWARE_VERSION_INVALID: 400,
  STORE_INVALID_STATE: 409,
  WORK_ORDER_ID_INVALID: 400,
  SEC_PARTY_ID_INVALID: 400,
  OPERATOR_ID_INVALID: 400,
  WORK_ORDER_INVALID: 422,
  WORK_ORDER_TOO_LARGE: 413,
  WORK_ORDER_EXISTS: 409,
  WORK_ORDER_NOT_OPEN: 409,
  WORK_ORDER_NOT_SETTLED: 409,
  WORK_ORDER_HAS_RECEIVED_HUBS: 409,
  WORK_ORDERS_OPEN_LIMIT: 409,
  HUB_IMPORT_RATE_LIMIT: 429,
  DASHBOARD_NOT_BUILT: 503,
  ADAPTERS_UNAVAILABLE: 503,
  STORE_READ_FAILED: 503,
  HUB_TRANSITION_ILLEGAL: 409,
  HUB_NOT_IN_SLOT: 409,
  SLOT_UNAVAILABLE: 409,
  HUB_NOT_ON_WORK_ORDER: 404,
  HUB_NOT_ON_THIS_WORK_ORDER: 409,
  RETURN_PARTY_MISMATCH: 409,
  OUTBOX_NOT_DEAD: 409,
  PERIOD_INVALID: 400,
  AUTH_REQUIRED: 401,
  AUTH_TOKEN_INVALID: 401,
  AUTH_TOKEN_REVOKED: 401,
  AUTH_SIGN_IN_REFUSED: 401,
  AUTH_ROLE_FORBIDDEN: 403,
  ORIGIN_FORBIDDEN: 403,
  AUTH_RATE_LIMITED: 429,
  HOST_NOT_ALLOWED: 421,
  TOKEN_NOT_FOUND: 404,
  STORE_FULL: 507,
  GUARD_NOT_HALTED: 409,
};

export interface ErrorReply {
  status: number;
  body: { error: { code: ErrorCode; message: string; details?: Record<string, unknown>; requestId?: string } };
}

function reply(code: ErrorCode, message: string, details?: Readonly<Record<string, unknown>>, status = STATUS_BY_CODE[code] ?? 500): ErrorReply {
  return { status, body: { error: { code, message, ...(details ? { details: { ...details } } : {}) } } };
}

/** Fastify's own refusals, by their FST_ERR_* name: none of them reaches a client under that name. */
function fromFastify(err: FastifyError, limitBytes = BODY_LIMIT_BYTES): ErrorReply | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply('REQUEST_TOO_LARGE', `the request body is larger than this route's ${limitBytes}-byte limit`, { limitBytes });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply('REQUEST_MEDIA_TYPE', 'the request body must be application/json (text/csv for a work order import)');
    case 'FST_ERR_BAD_URL':
      return reply('REQUEST_INVALID', 'the request URL is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return reply('REQUEST_URL_TOO_LONG', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`, { limit: MAX_PARAM_LENGTH });
    default:
      return undefined;
  }
}

/**
 * The one mapping from anything thrown while answering a request to the API's error body. Only
 * flashd's own codes reach the client; anything unexpected is a 500 INTERNAL with details in the log.
 */
export function errorReply(err: unknown, bodyLimitBytes = BODY_LIMIT_BYTES): ErrorReply {
  if (isFlashdError(err)) return reply(err.code, err.message, err.details);
  // SQLite rolled the transaction back: nothing of the request was stored, and a retry after freeing space may succeed.
  if ((err as { code?: unknown } | undefined)?.code === 'SQLITE_FULL')
    return reply('STORE_FULL', 'the store is full (disk or store.maxSizeMiB): nothing was stored; free space and retry');
  const fastifyError = err as Partial<FastifyError> | undefined;
  if (fastifyError?.validation) return reply('REQUEST_INVALID', fastifyError.message ?? 'the request does not match its schema');
  const known = fastifyError?.code ? fromFastify(fastifyError as FastifyError, bodyLimitBytes) : undefined;
  if (known) return known;
  const status = fastifyError?.statusCode;
  if (status === 413) return fromFastify({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' } as FastifyError, bodyLimitBytes)!;
  if (status === 415) return fromFastify({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' } as FastifyError)!;
  if (status === 404) return reply('NOT_FOUND', 'no such resource');
  if (status !== undefined && status >= 400 && status < 500) return reply('REQUEST_INVALID', fastifyError?.message ?? 'bad request');
  return reply('INTERNAL', 'internal error', undefined, 500);
}

/** Fastify's error handler and `frameworkErrors`: both end here so a new route inherits the format. */
export function sendErrorReply(err: unknown, request: FastifyRequest, fastifyReply: FastifyReply): FastifyReply {
  const { status, body } = errorReply(err, request.routeOptions?.bodyLimit ?? BODY_LIMIT_BYTES);
  if (status >= 500) request.log.error({ err }, 'request failed');
  else if (status === 401 || status === 403 || status === 421 || status === 429)
    request.log.info({ code: body.error.code, url: request.routeOptions?.url, client: request.socket?.remoteAddress }, 'request refused');
  // The id joins the client's report to the daemon's log line (every line of a request carries reqId).
  body.error.requestId = request.id;
  request.errorCode = body.error.code;
  // Also here: a refusal before the hooks ran (a too-long path) still names its request.
  return fastifyReply.status(status).header('x-request-id', request.id).send(body);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (bad request line, headers
 * past `maxHeaderSize`, a request that never finishes); this answers them in the API's format
 * instead of Node's `400 Client Error`.
 */
export function clientErrorReply(err: NodeJS.ErrnoException): ErrorReply {
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return reply('REQUEST_HEADERS_TOO_LARGE', 'the request line and headers are larger than 16384 bytes', { limitBytes: 16_384 });
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return reply('REQUEST_TIMEOUT', 'the request did not arrive completely in time');
  return reply('REQUEST_INVALID', `the request is not valid HTTP/1.1${err.code ? ` (${err.code})` : ''}`);
}

export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset or already-closed connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } = clientErrorReply(err);
  const text = JSON.stringify(body);
  // As Node's own handler: never write into an answer already on its way on this connection.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
