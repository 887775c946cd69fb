import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FlashdError, toErrorRecord } from '../../../src/domain/errors.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs/errors.md'), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (.+) \|$/gm)].map((m) => [m[1]!, m[2]!]));

describe('error catalogue', () => {
  it('documents every code with its catalogue text, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, text] of Object.entries(ERROR_CODES)) expect(documented.get(code), code).toBe(text);
  });

  it('keeps code, details and cause on a FlashdError and in its record', () => {
    const cause = new Error('EIO');
    const err = new FlashdError('HUB_TIMEOUT', 'no reply', { cause, details: { slot: 3 } });
    expect(err.cause).toBe(cause);
    expect(toErrorRecord(err)).toEqual({ code: 'HUB_TIMEOUT', message: 'no reply', details: { slot: 3 } });
    expect(toErrorRecord(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
  });
});
