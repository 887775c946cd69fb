import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../../src/config/load-config.js';
import { isFlashdError, type FlashdError } from '../../../src/domain/errors.js';
import { demoMasterKey } from '../../../jig-sim/demo-keys.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'flashd-config-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
async function problems(content: string): Promise<string[]> {
  try {
    await loadConfig({ file: file(`c${Math.random()}.json`, content), env: {} });
  } catch (err) {
    expect(isFlashdError(err, 'CONFIG_INVALID')).toBe(true);
    return (err as FlashdError).details!.problems as string[];
  }
  throw new Error('config was accepted');
}

describe('config', () => {
  it('embedded defaults run the simulator and are frozen', async () => {
    const { config, unlockKeys, source } = await loadConfig({ env: {} });
    expect(source).toBeUndefined();
    expect(config.simulator.enabled).toBe(true);
    expect(config.api).toEqual({
      host: '127.0.0.1',
      port: 8080,
      loopbackRole: 'admin',
      allowedHosts: [],
      corsOrigins: [],
      allowPlainHttp: false,
      sessionTtlMs: 43_200_000,
      authFailuresPerMinute: 30,
    });
    expect(Object.isFrozen(config.sessions.timeouts)).toBe(true);
    expect(unlockKeys.size).toBe(3);
  });

  it('embedded demo unlock keys are the simulator demo keys', async () => {
    const { unlockKeys } = await loadConfig({ env: {} });
    for (const [manufacturer, key] of unlockKeys) expect(Buffer.from(key).equals(demoMasterKey(manufacturer)), manufacturer).toBe(true);
  });

  it('FLASHD_PORT overrides the port and is checked', async () => {
    expect((await loadConfig({ env: { FLASHD_PORT: '9123' } })).config.api.port).toBe(9123);
    await expect(loadConfig({ env: { FLASHD_PORT: 'http' } })).rejects.toThrow(/FLASHD_PORT/);
  });

  it('reports a typo with its path and a suggestion', async () => {
    expect(await problems('{ "sesions": { "maxThreads": 2 } }')).toEqual(['/sesions: unknown key "sesions" (did you mean "sessions"?)']);
    expect(await problems('{ "api": { "prot": 1 } }')).toEqual(['/api/prot: unknown key "prot" (did you mean "port"?)']);
  });

  it('reports every problem at once, each with its path', async () => {
    const found = await problems(
      JSON.stringify({
        simulator: { enabled: false, transport: 'udp' },
        jigs: [{ id: 'J1', control: 'socket://127.0.0.1:1', slots: [], baud: 9600 }],
        unlock: { keys: { '1086': 'zz' } },
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        '/simulator/transport: must be one of "tcp", "in-process", got "udp"',
        '/jigs/0/baud: unknown key "baud" (did you mean "baudRate"?)',
        expect.stringMatching(/^\/jigs\/0\/slots: /),
        expect.stringMatching(/^\/unlock\/keys\/1086: /),
      ]),
    );
    expect(found).toHaveLength(4);
  });

  it('refuses real jigs while the simulator is on, and duplicate jig ids', () => {
    const jig = { id: 'J1', control: '/dev/ttyUSB0', slots: ['/dev/ttyUSB1'] };
    expect(() => validateConfig({ jigs: [jig] }, 't')).toThrow(/simulator\.enabled/);
    expect(() => validateConfig({ simulator: { enabled: false }, jigs: [jig, jig] }, 't')).toThrow(/"J1" is used by another jig/);
  });

  it('names unreadable and non-JSON files', async () => {
    await expect(loadConfig({ file: join(dir, 'missing.json'), env: {} })).rejects.toMatchObject({
      code: 'CONFIG_UNREADABLE',
      message: expect.stringContaining('missing.json'),
    });
    await expect(loadConfig({ file: file('bad.json', '{ "api": '), env: {} })).rejects.toMatchObject({
      code: 'CONFIG_UNREADABLE',
      message: expect.stringContaining('not valid JSON'),
    });
  });

  describe('demo keys belong to the simulator only', () => {
    const trusted = join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem');
    const bench = (extra: object): string => JSON.stringify({ simulator: { enabled: false }, images: { trustedKeyFiles: [trusted] }, ...extra });

    it('a partial unlock.keys is not topped up with demo keys when the simulator is off', async () => {
      const { unlockKeys } = await loadConfig({ file: file('partial.json', bench({ unlock: { keys: { '1086': 'ab'.repeat(32) } } })), env: {} });
      expect([...unlockKeys.keys()]).toEqual(['1086']);
      expect(Buffer.from(unlockKeys.get('1086')!).toString('hex')).toBe('ab'.repeat(32));
    });

    it('with the simulator on, manufacturers left out get their demo key and a given key is kept', async () => {
      const { unlockKeys, config } = await loadConfig({
        file: file('sim-partial.json', JSON.stringify({ unlock: { keys: { '1178': 'cd'.repeat(32) } } })),
        env: {},
      });
      expect(Buffer.from(unlockKeys.get('1178')!).toString('hex')).toBe('cd'.repeat(32));
      expect(Buffer.from(unlockKeys.get('1086')!).equals(demoMasterKey('1086'))).toBe(true);
      expect(Buffer.from(unlockKeys.get('106C')!).equals(demoMasterKey('106C'))).toBe(true);
      expect(config.images.trustedKeyFiles).toEqual([trusted]);
    });

    it('a manufacturer code that is not in the catalogue is refused with a "did you mean"', async () => {
      const found = await problems(bench({ unlock: { keys: { '1O86': 'ab'.repeat(32) } } }));
      expect(found).toEqual([expect.stringContaining('/unlock/keys/1O86: manufacturer "1O86" is not in the catalogue (did you mean "1086"?')]);
      expect(await problems(JSON.stringify({ unlock: { keys: { '9999': 'ab'.repeat(32) } } }))).toEqual([
        expect.stringContaining('/unlock/keys/9999: manufacturer "9999" is not in the catalogue'),
      ]);
    });

    it('no trusted manifest key with the simulator off is a config error, not the demo key', async () => {
      const found = await problems(JSON.stringify({ simulator: { enabled: false }, unlock: { keys: { '1086': 'ab'.repeat(32) } } }));
      expect(found).toEqual([expect.stringMatching(/^\/images\/trustedKeyFiles: no trusted manifest key is configured/)]);
    });

    it('a manufacturer without a key is allowed with the simulator off', async () => {
      const { unlockKeys } = await loadConfig({ file: file('none.json', bench({})), env: {} });
      expect(unlockKeys.size).toBe(0);
    });
  });

  it('reads unlock keys from files (systemd credentials) and resolves paths from the config file', async () => {
    const keyFile = file('key-1086', `${'ab'.repeat(32)}\n`);
    const { unlockKeys, config } = await loadConfig({
      file: file('k.json', JSON.stringify({ unlock: { keys: { '1086': { file: keyFile } } }, store: { path: 'db/x.db' } })),
      env: {},
    });
    expect(Buffer.from(unlockKeys.get('1086')!).toString('hex')).toBe('ab'.repeat(32));
    expect(config.store.path).toBe(join(dir, 'db/x.db'));
    // Paths the file does not give are flashd's own, wherever the file is.
    expect(config.images.dir).toBe(join(PACKAGE_ROOT, 'firmware-images'));
  });
});
