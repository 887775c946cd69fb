import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/api/access/token-file.js';
import { startDaemon } from '../helpers/daemon-process.js';

/**
 * Safe by default (issue 11): flashd-sim, as `npm start` runs it, refuses to listen on the
 * network without tokens and TLS, exits 78 and names the keys; with them it serves HTTPS.
 */
describe('exposing the API on the network', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-expose-'));
  const configWith = (api: object): string => {
    const file = join(dir, `flashd-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ api: { port: 0, ...api }, store: { path: join(dir, 'flashd.db') }, simulator: { hubs: 0 } }));
    return file;
  };

  it('refuses api.host 0.0.0.0 without tokens or TLS: exit 78, naming api.tokensFile and api.tls', async () => {
    const daemon = startDaemon(['--config', configWith({ host: '0.0.0.0' })]);
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr()).toMatch(/\/api\/tokensFile: api\.host 0\.0\.0\.0 is not loopback.*flashctl token create/);
    expect(daemon.stderr()).toMatch(/\/api\/tls: .*api\.allowPlainHttp/);
  });

  it.skipIf(!process.env.CI && !hasOpenssl())('serves HTTPS from the key and certificate files, to a token only', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
      stdio: 'ignore',
    });
    const tokensFile = join(dir, 'tokens.json');
    const { token } = createToken(tokensFile, 'office', 'viewer');
    const daemon = startDaemon(['--config', configWith({ host: '127.0.0.1', loopbackRole: 'none', tokensFile, tls: { keyFile: key, certFile: cert } })], {
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    });
    try {
      const url = await daemon.ready;
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ask = (headers: Record<string, string>) =>
        execFileSync('curl', [
          '-sk',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
          `${url}/api/v1/slots`,
        ]).toString();
      expect(ask({})).toBe('401');
      expect(ask({ authorization: `Bearer ${token}` })).toBe('200');
    } finally {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
