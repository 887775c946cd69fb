/**
 * The page's calls to the daemon. Who is signed in travels as X-Operator-Id today; a session
 * cookie slots in here later (credentials: 'same-origin' already sends it).
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
  if (operator) headers['x-operator-id'] = operator;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText);
  }
  return json as T;
}
