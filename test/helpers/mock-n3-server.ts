import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';

// Captured before any test installs fake timers: the server's own waits are real.
const realSetTimeout = globalThis.setTimeout;

/** What to do with one request, decided before it is processed. */
export type N3Fault =
  /** Answer with this status without processing (500, 429 or 503 with or without Retry-After, ...). */
  | { kind: 'status'; status: number; retryAfter?: string; body?: unknown }
  /** Close the connection without processing or answering. */
  | { kind: 'drop-before' }
  /** Process (accept) the notification, then close the connection without answering: the client must re-send. */
  | { kind: 'drop-after' }
  /** Process slowly: the key is in flight for `ms` (a repeat meanwhile gets 409). */
  | { kind: 'slow'; ms: number }
  /** Refuse the payload as invalid (400 or 422) without storing the key. */
  | { kind: 'reject'; status: 400 | 422; message: string };

export interface ReceivedRequest {
  seq: number;
  key: string | undefined;
  body: string;
  authorization: string | undefined;
  /** What the server did: the status sent, or 'dropped'. */
  answer: number | 'dropped';
}

export interface Acceptance {
  seq: number;
  key: string;
  deviceId: string;
  body: string;
}

export interface MockN3Options {
  /** Bearer token the server requires; undefined accepts any. */
  token?: string;
  /** Decides a fault per request; undefined processes normally. */
  plan?: (request: { seq: number; key: string | undefined; body: string }) => N3Fault | undefined;
  /** Serve HTTPS and require a client certificate signed by `ca` (mTLS). PEM. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
}

/**
 * A local stand-in for the CSP's N3 client: a real node:http server on 127.0.0.1 with the
 * Idempotency-Key semantics of the IETF draft. A new key is processed once and its answer stored;
 * a repeat with the same payload gets the stored answer, with another payload 422, while in flight
 * 409; no key is 400. Invalid payloads (a `reject` fault) are refused without using up the key, so
 * a re-queued notification can succeed once "fixed upstream". It records every request and, per
 * key, the first acceptance in processing order. `down()` closes it (connections refused), `up()`
 * reopens it on the same port.
 */
export class MockN3Server {
  readonly received: ReceivedRequest[] = [];
  readonly acceptances: Acceptance[] = [];
  readonly #stored = new Map<string, { sha: string; status: number; body: string } | 'in-flight'>();
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  #port = 0;
  options: MockN3Options;

  constructor(options: MockN3Options = {}) {
    this.options = options;
    const handle = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    this.#server = options.tls ? createTlsServer({ ...options.tls, requestCert: true, rejectUnauthorized: true }, handle) : createServer(handle);
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.#port}/n3/notifications`;
  }

  /** Keys accepted, each once. */
  get acceptedKeys(): Set<string> {
    return new Set(this.acceptances.map((a) => a.key));
  }

  async up(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#server.address() as { port: number }).port;
    return this.url;
  }

  /** Stops listening and cuts every connection: the daemon sees ECONNREFUSED / ECONNRESET. */
  async down(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const key = header(req, 'idempotency-key');
    const record: ReceivedRequest = { seq: this.received.length + 1, key, body, authorization: header(req, 'authorization'), answer: 'dropped' };
    this.received.push(record);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      record.answer = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
    };
    const drop = (): void => void req.socket.destroy();
    if (this.options.token !== undefined && record.authorization !== `Bearer ${this.options.token}`)
      return answer(401, { error: { code: 'UNAUTHORIZED', message: 'bad token' } });
    const fault = this.options.plan?.({ seq: record.seq, key, body });
    if (fault?.kind === 'status')
      return answer(
        fault.status,
        fault.body ?? { error: { code: 'FAULT', message: `injected ${fault.status}` } },
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    if (fault?.kind === 'drop-before') return drop();
    if (key === undefined) return answer(400, { error: { code: 'KEY_MISSING', message: 'Idempotency-Key is required' } });
    const sha = createHash('sha256').update(body).digest('hex');
    const stored = this.#stored.get(key);
    if (stored === 'in-flight') return answer(409, { error: { code: 'IN_FLIGHT', message: 'a request with this key is being processed' } });
    if (stored) {
      if (stored.sha !== sha) return answer(422, { error: { code: 'KEY_REUSED', message: 'key reused with a different payload' } });
      return answer(stored.status, JSON.parse(stored.body));
    }
    let deviceId: unknown;
    try {
      deviceId = (JSON.parse(body) as { deviceId?: unknown }).deviceId;
    } catch {
      return answer(400, { error: { code: 'NOT_JSON', message: 'body is not JSON' } });
    }
    if (fault?.kind === 'reject') return answer(fault.status, { error: { code: 'INVALID', message: fault.message } });
    this.#stored.set(key, 'in-flight');
    if (fault?.kind === 'slow') await new Promise((resolve) => realSetTimeout(resolve, fault.ms));
    const ack = { idempotencyKey: key, status: 'accepted' };
    this.#stored.set(key, { sha, status: 201, body: JSON.stringify(ack) });
    this.acceptances.push({ seq: record.seq, key, deviceId: String(deviceId), body });
    if (fault?.kind === 'drop-after') return drop();
    answer(201, ack);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
