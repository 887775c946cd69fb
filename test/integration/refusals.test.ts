import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateStock } from '../../jig-sim/stock.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { PRODUCTION_MAIN, startDaemon } from '../helpers/daemon-process.js';

describe('a hub that refuses the unlock', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => harness?.stop());

  it('fails with UNLOCK_REFUSED, keeps its firmware and is never recorded as re-flashed', async () => {
    const stock = generateStock({ seed: 'unlock', count: 2 });
    stock[1] = { ...stock[1]!, masterKey: Buffer.alloc(32, 0x42) }; // the hub's secret is not the configured one
    harness = new BenchHarness({ stock, workOrder: true });
    await harness.start();
    await harness.finished(2);

    const truth = harness.simulator.truth();
    const refused = harness.store.getHub(stock[1].deviceId)!;
    expect(refused.outcome).toBe('FAILED');
    expect(refused.lastErrorCode).toBe('UNLOCK_REFUSED');
    expect(refused.attempts).toHaveLength(1);
    expect(refused.attempts[0]).toMatchObject({
      result: 'FAILED',
      error: { code: 'UNLOCK_REFUSED', phase: 'UNLOCKING' },
      firmwareAfter: null,
      hubSha256: null,
    });
    expect(refused.attempts[0]!.error!.message).toMatch(/AUTH_FAILED/);
    expect(refused.firmwareVersion).toBe(stock[1].firmwareVersion);
    const real = truth.find((t) => t.deviceId === stock[1]!.deviceId)!;
    expect(real).toMatchObject({ firmwareVersion: stock[1].firmwareVersion, flashCount: 0, heldImage: null, failedUnlocks: 1 });

    // The other hub on the jig was not disturbed.
    expect(harness.store.getHub(stock[0]!.deviceId)!.outcome).toBe('REFLASHED');
    const slot = harness.bench.slots().find((s) => s.deviceId === stock[1]!.deviceId)!;
    expect(slot).toMatchObject({ phase: 'DONE', result: 'FAILED', error: { code: 'UNLOCK_REFUSED' } });
  });
});

describe('the daemon refuses to start on bad input, naming the cause, with nothing stored', () => {
  const tmp = (): string => mkdtempSync(join(tmpdir(), 'flashd-refuse-'));

  it('a config file with a typo', async () => {
    const dir = tmp();
    const config = join(dir, 'flashd.json');
    writeFileSync(config, JSON.stringify({ store: { path: join(dir, 'flashd.db') }, simulator: { hubz: 8 } }));
    const daemon = startDaemon(['--config', config]);
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr()).toContain('/simulator/hubz: unknown key "hubz" (did you mean "hubs"?)');
    expect(daemon.stderr()).toContain(config);
    expect(existsSync(join(dir, 'flashd.db'))).toBe(false);
  });

  it('the production flashd given a simulator config (or none): it drives real jigs only', async () => {
    const dir = tmp();
    const config = join(dir, 'flashd.json');
    writeFileSync(config, JSON.stringify({ store: { path: join(dir, 'flashd.db') }, api: { port: 0 } }));
    const daemon = startDaemon(['--config', config], {}, PRODUCTION_MAIN);
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr()).toContain(`${config}: /simulator/enabled is true`);
    expect(daemon.stderr()).toContain('flashd-sim (npm start)');
    expect(readdirSync(dir)).toEqual(['flashd.json']);
  });

  it.each([
    ['an image whose bytes do not match the manifest hash', 'IMAGE_HASH_MISMATCH', (dir: string) => flipByte(join(dir, '1178-0201040A-00030107.ota'))],
    ['a manifest edited after it was signed', 'MANIFEST_SIGNATURE_INVALID', (dir: string) => editManifest(dir)],
  ])('%s', async (_name, code, corrupt) => {
    const dir = tmp();
    const images = join(dir, 'images');
    cpSync(join(PACKAGE_ROOT, 'firmware-images'), images, { recursive: true });
    corrupt(images);
    const config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { path: join(dir, 'flashd.db') },
        images: { dir: images, trustedKeyFiles: [join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem')] },
        api: { port: 0 },
      }),
    );
    const daemon = startDaemon(['--config', config]);
    expect(await daemon.exited).toBe(65);
    expect(daemon.stdout()).toContain(`"code":"${code}"`);
    expect(daemon.stderr()).toMatch(code === 'IMAGE_HASH_MISMATCH' ? /1178-0201040A-00030107\.ota/ : /manifest\.json/);
    expect(existsSync(join(dir, 'flashd.db'))).toBe(false);
  });
});

describe('the daemon refuses a store or scenario a restart cannot fix: exit 78, naming the path, creating nothing', () => {
  const tmp = (): string => mkdtempSync(join(tmpdir(), 'flashd-store-'));

  it.each([
    ['a file where the store folder should be', (dir: string) => (writeFileSync(join(dir, 'state'), 'x'), join(dir, 'state', 'flashd.db'))],
    ['a store file that is not SQLite', (dir: string) => (writeFileSync(join(dir, 'flashd.db'), 'not sqlite\n'.repeat(500)), join(dir, 'flashd.db'))],
  ])('%s', async (_name, prepare) => {
    const dir = tmp();
    const store = prepare(dir);
    const before = readdirSync(dir).sort();
    const config = join(dir, 'flashd.json');
    writeFileSync(config, JSON.stringify({ store: { path: store }, api: { port: 0 } }));
    const daemon = startDaemon(['--config', config]);
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr()).toContain(store);
    expect(daemon.stdout()).toContain('"code":"STORE_UNUSABLE"');
    expect(readdirSync(dir).sort()).toEqual([...before, 'flashd.json'].sort());
  });

  it('a scenario file that is missing', async () => {
    const dir = tmp();
    const config = join(dir, 'flashd.json');
    writeFileSync(config, JSON.stringify({ store: { path: join(dir, 'var', 'flashd.db') }, api: { port: 0 }, simulator: { scenario: 'missing.json' } }));
    const daemon = startDaemon(['--config', config]);
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr()).toContain(join(dir, 'missing.json'));
    expect(readdirSync(dir)).toEqual(['flashd.json']);
  });
});

describe('the daemon whose API port is taken', () => {
  it('exits naming the address and the fix, and leaves no demo work order behind', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'flashd-port-'));
      const config = join(dir, 'flashd.json');
      writeFileSync(config, JSON.stringify({ store: { path: join(dir, 'flashd.db') }, api: { port } }));
      const daemon = startDaemon(['--config', config]);
      expect(await daemon.exited).toBe(1); // the port may free up: systemd's restart can help
      expect(daemon.stderr()).toContain(`cannot serve the API on 127.0.0.1:${port} (EADDRINUSE): another process holds the port`);
      expect(daemon.stdout()).toContain('"code":"API_LISTEN_FAILED"');
      // A refused start creates nothing: no store file, so no demo work order either.
      expect(readdirSync(dir)).toEqual(['flashd.json']);
    } finally {
      holder.close();
    }
  });
});

function flipByte(file: string): void {
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1]! ^= 0x01;
  writeFileSync(file, bytes);
}

function editManifest(dir: string): void {
  const file = join(dir, 'manifest.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"0002012F"', '"00020130"'));
}
