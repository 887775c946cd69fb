import { createHash, randomBytes } from 'node:crypto';

/** Every token starts so; a secret scanner (and a person) can tell a flashd token at a glance. */
export const TOKEN_PREFIX = 'flashd_';
const TOKEN_PATTERN = /^flashd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

/** A new random token (256 bits) and its id, the part a listing and the audit may show. */
export function newToken(): { id: string; token: string } {
  const id = randomBytes(4).toString('hex');
  return { id, token: `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}` };
}

/**
 * What the tokens file stores instead of the token. A token is 256 random bits, so a plain
 * SHA-256 cannot be searched backwards; a slow password hash would only slow every request.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}
