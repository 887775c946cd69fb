import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { N3Answer, N3Request, N3Transport } from './n3-answer.js';

/** Client certificate for mTLS and the CA that signs the N3 client's certificate (PEM). */
export interface N3Tls {
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  ca?: Buffer | undefined;
}

export interface N3HttpOptions {
  url: string;
  /** Sent as `Authorization: Bearer …`; held only in a private field, never logged. */
  token?: string | undefined;
  tls?: N3Tls | undefined;
  /** Socket silence that abandons a request (then it is retried). Default 10,000 ms. */
  requestTimeoutMs?: number;
  /** Connections kept open to the N3 client; the drainer's concurrency. Default 4. */
  maxSockets?: number;
  userAgent?: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST per notification (docs/n3.md, "Wire"): `Content-Type: application/json`, the stored
 * canonical bytes as the body, `Idempotency-Key`, and the bearer token. Resolves with the answer or
 * `{ kind: 'error' }`; it never rejects, and nothing it returns holds a request header, so no error
 * path can carry the token into a log line.
 */
export class N3HttpTransport implements N3Transport {
  readonly #url: URL;
  readonly #token: string | undefined;
  readonly #agent: HttpAgent;
  readonly #timeoutMs: number;
  readonly #userAgent: string;

  constructor(options: N3HttpOptions) {
    this.#url = new URL(options.url);
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') throw new RangeError(`N3 url must be http or https, got ${this.#url.protocol}`);
    if (this.#url.username || this.#url.password) throw new RangeError('N3 url must not carry credentials; use upstream.n3.token');
    this.#token = options.token;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#userAgent = options.userAgent ?? 'flashd';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 4 };
    this.#agent = this.#url.protocol === 'https:' ? new HttpsAgent({ ...agentOptions, ...options.tls }) : new HttpAgent(agentOptions);
  }

  send(request: N3Request, signal: AbortSignal): Promise<N3Answer> {
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(request.body)),
      accept: 'application/json',
      'idempotency-key': request.idempotencyKey,
      'user-agent': this.#userAgent,
    };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    return new Promise<N3Answer>((resolve) => {
      const fail = (err: Error & { code?: string }): void => resolve({ kind: 'error', message: `${err.code ? `${err.code}: ` : ''}${err.message}` });
      if (signal.aborted) return fail(new Error('aborted'));
      const req = send(this.#url, { method: 'POST', agent: this.#agent, headers, signal, timeout: this.#timeoutMs }, (res) => {
        readAnswer(res).then(
          (body) => resolve({ kind: 'response', status: res.statusCode ?? 0, retryAfter: header(res, 'retry-after'), body: this.#scrub(body) }),
          (err: Error) => fail(err),
        );
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.#timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', fail);
      req.end(request.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** A server that echoes our headers back in an error page must not put the token into a dead letter's reason. */
  #scrub(text: string): string {
    return this.#token === undefined ? text : text.replaceAll(this.#token, '[redacted]');
  }
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readAnswer(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}
