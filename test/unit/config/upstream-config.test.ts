import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../../src/config/load-config.js';
import type { FlashdError } from '../../../src/domain/errors.js';
import { loadN3Transport } from '../../../src/upstream/n3-settings.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/upstream/retry-policy.js';
import { thrownBy } from '../../helpers/thrown-by.js';

const dir = mkdtempSync(join(tmpdir(), 'flashd-upstream-config-'));
const problemsOf = (raw: unknown): string[] => ((thrownBy(() => validateConfig(raw, 't')) as FlashdError).details!.problems as string[]) ?? [];

describe('upstream configuration', () => {
  it('defaults to the SSMI file only: npm start queues nothing for N3', async () => {
    const { config } = await loadConfig({ env: {} });
    expect(config.upstream.mode).toBe('ssmi');
    expect(config.upstream.n3).toMatchObject({
      reportRejected: false,
      batchSize: 50,
      concurrency: 4,
      retry: { ...DEFAULT_RETRY_POLICY, deadLetterStatusCodes: [400, 422] },
    });
    expect(config.upstream.n3.url).toBeUndefined();
  });

  it('needs a URL to report to N3, and checks the keys that go together', () => {
    expect(problemsOf({ upstream: { mode: 'n3' } })).toEqual(['/upstream/n3/url: is required when /upstream/mode is "n3"']);
    expect(problemsOf({ upstream: { mode: 'both', n3: { url: 'https://n3.example', tls: { certFile: 'c.pem' } } } })).toEqual([
      '/upstream/n3/tls: certFile and keyFile go together',
    ]);
    expect(problemsOf({ upstream: { mode: 'push' } })[0]).toMatch(/^\/upstream\/mode: must be one of "ssmi", "n3", "both", got "push"/);
    expect(problemsOf({ upstream: { n3: { ulr: 'x' } } })).toEqual(['/upstream/n3/ulr: unknown key "ulr" (did you mean "url"?)']);
    expect(validateConfig({ upstream: { mode: 'n3', n3: { url: 'http://127.0.0.1:9/n3' } } }, 't').upstream.mode).toBe('n3');
  });

  it('never echoes a bad inline token back in the error', () => {
    const err = thrownBy(() => validateConfig({ upstream: { n3: { token: 'short' } } }, 't')) as FlashdError;
    expect(err.message).toContain('/upstream/n3/token');
    expect(err.message).not.toContain('short');
    const spaced = thrownBy(() => validateConfig({ upstream: { n3: { token: 'canary secret with spaces' } } }, 't')) as FlashdError;
    expect(spaced.message).not.toContain('canary');
  });

  it('reads the token and TLS files relative to the config file; a missing one names its path, not its content', async () => {
    writeFileSync(join(dir, 'n3.token'), '  tok-0123456789abcdef\n');
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const configFile = join(dir, 'flashd.json');
    const upstream = validateConfig(
      { upstream: { mode: 'n3', n3: { url: 'https://n3.example/x', token: { file: 'n3.token' }, tls: { caFile: 'ca.pem' } } } },
      't',
    ).upstream;
    const options = await loadN3Transport(upstream, configFile);
    expect(options).toMatchObject({ url: 'https://n3.example/x', token: 'tok-0123456789abcdef', requestTimeoutMs: 10_000, maxSockets: 4 });
    expect(options.tls?.ca?.toString()).toBe('CA PEM');
    const missing = validateConfig({ upstream: { mode: 'n3', n3: { url: 'https://n3.example/x', token: { file: 'nope.token' } } } }, 't').upstream;
    await expect(loadN3Transport(missing, configFile)).rejects.toMatchObject({
      code: 'CONFIG_UNREADABLE',
      message: expect.stringContaining(join(dir, 'nope.token')),
    });
    writeFileSync(join(dir, 'bad.token'), 'has spaces in it');
    const bad = validateConfig({ upstream: { mode: 'n3', n3: { url: 'https://n3.example/x', token: { file: 'bad.token' } } } }, 't').upstream;
    const err = await loadN3Transport(bad, configFile).catch((e: unknown) => e as FlashdError);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as Error).message).not.toContain('has spaces');
  });
});
