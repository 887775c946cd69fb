/** The API answered with an error body: `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** flashd could not be reached at all (refused, DNS, timeout). */
export class ConnectionError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach flashd at ${url}: ${(cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message}`, {
      cause,
    });
    this.name = 'ConnectionError';
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  /** Who is doing this: the client signs in as this operator (POST /api/v1/session) before its first request. */
  operatorId?: string | undefined;
  /** An API token (flashctl token create), sent as `Authorization: Bearer`. */
  token?: string | undefined;
  /** The operator's PIN, where flashd keeps PINs (api.operatorPinsFile). */
  pin?: string | undefined;
  timeoutMs?: number;
}

/**
 * A thin client over flashd's HTTP API: JSON in, JSON or text out, every non-2xx turned into an
 * {@link ApiError} carrying the API's stable code.
 */
export class ApiClient {
  readonly #base: string;
  readonly #operatorId: string | undefined;
  readonly #token: string | undefined;
  readonly #pin: string | undefined;
  #cookie: Promise<string | undefined> | undefined;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#operatorId = options.operatorId;
    this.#token = options.token;
    this.#pin = options.pin;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  json<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    return this.#request(method, path, body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) }).then(
      (text) => JSON.parse(text) as T,
    );
  }

  /** A request whose answer is a file (CSV). */
  text(path: string): Promise<string> {
    return this.#request('GET', path, undefined);
  }

  /** Sends a file (CSV) as the body. */
  upload<T>(path: string, type: string, text: string): Promise<T> {
    return this.#request('POST', path, { type, text }).then((t) => JSON.parse(t) as T);
  }

  /** A POST whose answer is a binary file (a store backup), as bytes. */
  async bytes(path: string): Promise<Uint8Array> {
    // The same access as any mutation: JSON media type, the token, the sign-in cookie.
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/vnd.sqlite3, application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const cookie = await (this.#cookie ??= this.#signIn());
    if (cookie) headers.cookie = cookie;
    let res: Response;
    try {
      res = await fetch(`${this.#base}/api/v1${path}`, { method: 'POST', headers, signal: AbortSignal.timeout(10 * this.#timeoutMs) });
    } catch (err) {
      throw new ConnectionError(this.#base, err);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.ok) return body;
    const text = new TextDecoder().decode(body);
    let error: { code?: string; message?: string } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // Not flashd's error body.
    }
    throw new ApiError(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? (text.slice(0, 200) || res.statusText));
  }

  async #request(method: string, path: string, body: { type: string; text: string } | undefined): Promise<string> {
    const url = `${this.#base}/api/v1${path}`;
    const headers: Record<string, string> = { accept: 'application/json, text/csv' };
    // flashd takes a mutation only as JSON or CSV (its guard against cross-site requests), a bodyless one too.
    if (body || method !== 'GET') headers['content-type'] = body?.type ?? 'application/json';
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const cookie = await (this.#cookie ??= this.#signIn());
    if (cookie) headers.cookie = cookie;
    const res = await this.#fetch(url, { method, headers, body: body?.text });
    return this.#answer(res);
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      throw new ConnectionError(this.#base, err);
    }
  }

  /** With `operatorId`: a technician's sign-in; its cookie goes with every later request. */
  async #signIn(): Promise<string | undefined> {
    if (!this.#operatorId) return undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const res = await this.#fetch(`${this.#base}/api/v1/session`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ operatorId: this.#operatorId, ...(this.#pin ? { pin: this.#pin } : {}) }),
    });
    await this.#answer(res);
    return res.headers.get('set-cookie')?.split(';')[0];
  }

  async #answer(res: Response): Promise<string> {
    const text = await res.text();
    if (res.ok) return text;
    let error: { code?: string; message?: string; details?: Record<string, unknown> } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // Not flashd's error body (a proxy, say): report the status and text.
    }
    throw new ApiError(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? (text.slice(0, 200) || res.statusText), error.details);
  }
}
