import { randomBytes } from 'node:crypto';

/** The sign-in cookie's name; HttpOnly, SameSite=Strict, Path=/ (docs/api.md, "Technician sign-in"). */
export const SESSION_COOKIE = 'flashd_session';

export interface Session {
  operatorId: string;
  expiresAtMs: number;
}

/**
 * Technician sign-ins, in memory: a restart signs everyone out, which a bench survives (the
 * dashboard shows its sign-in again). The cookie carries only a random id, never the operator.
 */
export class SessionStore {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #sessions = new Map<string, Session>();

  constructor(options: { ttlMs: number; now?: () => number }) {
    if (!(options.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  create(operatorId: string): string {
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { operatorId, expiresAtMs: this.#now() + this.#ttlMs });
    return id;
  }

  find(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAtMs <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAtMs <= now) this.#sessions.delete(id);
  }
}

/** The value of one cookie from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a sign-in (or, with `maxAgeSeconds` 0, a sign-out); Secure when served over TLS. */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
