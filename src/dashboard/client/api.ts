/**
 * The page's calls to the daemon. Who is signed in travels in flashd's HttpOnly session cookie
 * (credentials: 'same-origin' sends it); the page keeps only the name to show it.
 */
let operator: string | null = sessionStorage.getItem('flashd.operator');

export function signedIn(): string | null {
  return operator;
}

export function setSignedIn(id: string | null): void {
  operator = id;
  if (id) sessionStorage.setItem('flashd.operator', id);
  else sessionStorage.removeItem('flashd.operator');
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // flashd takes a change only as JSON, a bodyless one too (its guard against other sites' pages).
  if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText);
  }
  return json as T;
}
