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
    super(`cannot reach flashd at ${url}: ${(cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message}`, { cause });
    this.name = 'ConnectionError';
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  /** Sent as X-Operator-Id: who is doing this. */
  operatorId?: string | undefined;
  timeoutMs?: number;
}

/**
 * A thin client over flashd's HTTP API: JSON in, JSON or text out, every non-2xx turned into an
 * {@link ApiError} carrying the API's stable code.
 */
export class ApiClient {
  readonly #base: string;
  readonly #operatorId: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#operatorId = options.operatorId;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  json<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    return this.#request(method, path, body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) }).then((text) => JSON.parse(text) as T);
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
    let res: Response;
    try {
      res = await fetch(`${this.#base}/api/v1${path}`, { method: 'POST', headers: this.#operatorId ? { 'x-operator-id': this.#operatorId } : {}, signal: AbortSignal.timeout(10 * this.#timeoutMs) });
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
    if (body) headers['content-type'] = body.type;
    if (this.#operatorId) headers['x-operator-id'] = this.#operatorId;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body?.text, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      throw new ConnectionError(this.#base, err);
    }
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
