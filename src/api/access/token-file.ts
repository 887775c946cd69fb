import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { API_ROLES, type ApiRole } from '../../config/api-access-schema.js';
import { FlashdError } from '../../domain/errors.js';
import { newToken, tokenHash } from './token-secret.js';

const Entry = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9a-f]{8}$' }),
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' }),
    role: Type.Union(API_ROLES.map((r) => Type.Literal(r))),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    createdAt: Type.String(),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
const FileSchema = Type.Object({ tokens: Type.Array(Entry) }, { additionalProperties: false });

/** One token as the file keeps it: never the token itself, only its SHA-256. */
export type TokenEntry = Static<typeof Entry>;

/** Reads and checks a tokens file; a missing file is an empty one only when `missingOk`. */
export function readTokensFile(path: string, missingOk = false): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FlashdError('TOKENS_FILE_INVALID', `api.tokensFile: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FlashdError('TOKENS_FILE_INVALID', `api.tokensFile: ${path} is not JSON`, { cause: err });
  }
  const problem = Value.Errors(FileSchema, raw).First();
  if (problem) throw new FlashdError('TOKENS_FILE_INVALID', `api.tokensFile: ${path}${problem.path || '/'}: ${problem.message.toLowerCase()}`);
  const tokens = (raw as Static<typeof FileSchema>).tokens;
  const names = new Set<string>();
  for (const t of tokens) {
    if (t.revokedAt === null && names.has(t.name)) throw new FlashdError('TOKENS_FILE_INVALID', `api.tokensFile: ${path}: two live tokens are named ${t.name}`);
    if (t.revokedAt === null) names.add(t.name);
  }
  return tokens;
}

/** Replaces the file in one rename, so the daemon never reads half of it; owner-only (0600). */
function writeTokensFile(path: string, tokens: readonly TokenEntry[]): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ tokens }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** `flashctl token create`: the token is returned once and never stored. */
export function createToken(path: string, name: string, role: ApiRole, now = new Date()): { entry: TokenEntry; token: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name))
    throw new FlashdError('REQUEST_INVALID', `token name "${name.slice(0, 80)}" must be 1..64 of A-Z a-z 0-9 . _ @ - (it is recorded as the operator)`);
  if (!API_ROLES.includes(role)) throw new FlashdError('REQUEST_INVALID', `role must be one of ${API_ROLES.join(', ')}`);
  const tokens = readTokensFile(path, true);
  if (tokens.some((t) => t.name === name && t.revokedAt === null))
    throw new FlashdError('REQUEST_INVALID', `a live token is already named ${name}: revoke it first or choose another name`);
  const { id, token } = newToken();
  const entry: TokenEntry = { id, name, role, sha256: tokenHash(token), createdAt: now.toISOString(), revokedAt: null };
  writeTokensFile(path, [...tokens, entry]);
  return { entry, token };
}

/** `flashctl token revoke <id|name>`: kept with its time, so a revoked token answers AUTH_TOKEN_REVOKED. */
export function revokeToken(path: string, idOrName: string, now = new Date()): TokenEntry {
  const tokens = readTokensFile(path);
  const index = tokens.findIndex((t) => t.revokedAt === null && (t.id === idOrName || t.name === idOrName));
  if (index < 0) throw new FlashdError('TOKEN_NOT_FOUND', `no live token has the id or name ${idOrName}`);
  const revoked = { ...tokens[index]!, revokedAt: now.toISOString() };
  writeTokensFile(
    path,
    tokens.map((t, i) => (i === index ? revoked : t)),
  );
  return revoked;
}

/** A cheap fingerprint of the file: any write (a rename included) changes it. */
function fingerprint(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return 'missing';
  }
}

/**
 * The daemon's view of the tokens file. Each lookup stats the file and reads it again when it
 * changed, so a revocation takes effect on the next request without a restart. A file that turns
 * unreadable or invalid while running accepts no token (fail closed) until it is fixed.
 */
export class TokenFile {
  readonly #path: string;
  readonly #onError: (err: unknown) => void;
  #seen = '';
  #byHash = new Map<string, TokenEntry>();

  /** Reads the file now: a missing or invalid file refuses the start (TOKENS_FILE_INVALID). */
  constructor(path: string, onError: (err: unknown) => void) {
    this.#path = path;
    this.#onError = onError;
    this.#load(fingerprint(path), true);
  }

  #load(seen: string, strict: boolean): void {
    try {
      this.#byHash = new Map(readTokensFile(this.#path).map((t) => [t.sha256, t]));
    } catch (err) {
      if (strict) throw err;
      this.#byHash = new Map();
      this.#onError(err);
    }
    this.#seen = seen;
  }

  /** The entry a presented token belongs to (revoked ones included), or undefined. */
  find(token: string): TokenEntry | undefined {
    const seen = fingerprint(this.#path);
    if (seen !== this.#seen) this.#load(seen, false);
    return this.#byHash.get(tokenHash(token));
  }
}
