import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { FlashdError } from '../../domain/errors.js';

interface PinEntry {
  salt: string;
  scrypt: string;
}

function read(path: string, missingOk: boolean): Record<string, PinEntry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new FlashdError('CONFIG_UNREADABLE', `api.operatorPinsFile: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const raw = JSON.parse(text) as { operators?: Record<string, PinEntry> };
    const operators = raw.operators ?? {};
    for (const [id, e] of Object.entries(operators)) {
      if (typeof e?.salt !== 'string' || typeof e.scrypt !== 'string') throw new Error(`entry ${id} needs salt and scrypt`);
    }
    return operators;
  } catch (err) {
    throw new FlashdError('CONFIG_INVALID', `api.operatorPinsFile: ${path} is not a PIN file: ${(err as Error).message}`, { cause: err });
  }
}

const hash = (pin: string, salt: string): Buffer => scryptSync(pin, Buffer.from(salt, 'hex'), 32);

/** `flashctl pin set <operator>`: PINs are short, so they are kept as salted scrypt hashes only. */
export function setPin(path: string, operatorId: string, pin: string): void {
  if (!/^\d{4,12}$/.test(pin)) throw new FlashdError('REQUEST_INVALID', 'a PIN is 4..12 digits');
  const operators = read(path, true);
  const salt = randomBytes(16).toString('hex');
  operators[operatorId] = { salt, scrypt: hash(pin, salt).toString('hex') };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ operators }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** The operators' PINs as the daemon checks them; read at start (a PIN change needs a restart). */
export class PinFile {
  readonly #operators: Record<string, PinEntry>;

  constructor(path: string) {
    this.#operators = read(path, false);
  }

  verify(operatorId: string, pin: string | undefined): boolean {
    const entry = Object.hasOwn(this.#operators, operatorId) ? this.#operators[operatorId] : undefined;
    if (!entry || pin === undefined) return false;
    return timingSafeEqual(hash(pin, entry.salt), Buffer.from(entry.scrypt, 'hex'));
  }
}
