import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackAccess } from '../../../src/api/app.js';
import { TokenFile } from '../../../src/api/access/token-file.js';
import { runFlashctl } from '../../../src/flashctl/cli.js';
import { startApiApp, type ApiApp } from '../../helpers/api-app.js';

/** flashctl token create|list|revoke on the file flashd reads, and flashctl audit over HTTP with a token. */
describe('flashctl tokens and audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashctl-tokens-'));
  const tokensFile = join(dir, 'tokens.json');
  let api: ApiApp;

  async function ctl(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runFlashctl(['--api', `http://127.0.0.1:${api.port}`, ...args], {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      env: { FLASHD_TOKENS_FILE: tokensFile, ...env },
      readStdin: async () => '',
    });
    return { code, out, err };
  }

  beforeAll(async () => {
    writeFileSync(tokensFile, '{"tokens":[]}\n');
    api = await startApiApp({}, loopbackAccess({ loopbackRole: 'none', tokens: new TokenFile(tokensFile, () => undefined) }));
  });
  afterAll(() => api.close());

  it('creates a token shown once and stored as a hash, lists it, revokes it; flashd refuses it at once', async () => {
    const created = await ctl(['token', 'create', '--name', 'backoffice', '--role', 'supervisor']);
    expect(created.code).toBe(0);
    const token = created.out.split('\n')[0]!;
    expect(token).toMatch(/^flashd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    // The secret is the 43 characters after `flashd_<id>_` (base64url, which may itself hold '_').
    expect(readFileSync(tokensFile, 'utf8')).not.toContain(token.slice('flashd_00000000_'.length));
    expect((await ctl(['token', 'list'])).out).toMatch(/\nbackoffice|backoffice\s+supervisor/);

    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    // Refused by the store (a hub is still in process), and audited all the same.
    expect(await ctl(['--token-file', tokenFile, 'close', 'WO-1'])).toMatchObject({ code: 1, err: expect.stringContaining('WORK_ORDER_NOT_SETTLED') });
    const audit = await ctl(['--token-file', tokenFile, 'audit', '--target', 'WO-1']);
    expect(audit.out.split('\n')[1]).toMatch(/backoffice\s+supervisor\s+POST\s+\/api\/v1\/work-orders\/:id\/close\s+WO-1\s+409\s+WORK_ORDER_NOT_SETTLED/);

    expect((await ctl(['token', 'revoke', 'backoffice'])).code).toBe(0);
    expect(await ctl(['--token-file', tokenFile, 'work-orders'])).toMatchObject({ code: 1, err: expect.stringContaining('AUTH_TOKEN_REVOKED') });
    expect(await ctl(['work-orders'])).toMatchObject({ code: 1, err: expect.stringContaining('AUTH_REQUIRED') });
    expect(await ctl(['token', 'create', '--name', 'x'])).toMatchObject({ code: 2 });
  });
});
