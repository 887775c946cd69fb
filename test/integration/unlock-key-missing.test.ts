import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, demoMasterKey, generateStock } from '../../jig-sim/index.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { startDaemon } from '../helpers/daemon-process.js';

describe('a hub whose manufacturer has no unlock key on this bench', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => harness?.stop());

  it('is refused before unlock with UNLOCK_KEY_MISSING, uses up no attempt and is never proposed for scrap', async () => {
    const stock = generateStock({ seed: 'unkeyed', count: 8 });
    const keyed = stock[0]!.manufacturer;
    const unkeyed = stock.find((h) => h.manufacturer !== keyed)!;
    expect(unkeyed).toBeDefined();
    harness = new BenchHarness({
      stock,
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      unlockKeys: new Map([[keyed, demoMasterKey(keyed)]]),
      config: { process: { maxAttempts: 2 } },
    });
    await harness.start();
    await harness.finished(stock.length);

    for (const hub of stock.filter((h) => h.manufacturer === keyed)) expect(harness.store.getHub(hub.deviceId)?.outcome, hub.deviceId).toBe('REFLASHED');
    const slot = stock.indexOf(unkeyed) + 1;
    const before = harness.stores.workOrders.liveHub(unkeyed.deviceId);
    // More presses than maxAttempts: a missing key is the bench's gap, never the hub's fault.
    for (let press = 1; press <= 3; press++) {
      harness.simulator.jig('JIG-1').pressButton(slot);
      await harness.finished(stock.length + press);
      expect(harness.bench.slots()[slot - 1]).toMatchObject({
        result: 'REJECTED',
        error: { code: 'UNLOCK_KEY_MISSING', message: expect.stringContaining(unkeyed.manufacturer) },
        workOrderId: null,
        hubState: null,
      });
    }
    expect(harness.store.getHub(unkeyed.deviceId)).toBeUndefined(); // no attempt recorded
    expect(harness.stores.workOrders.liveHub(unkeyed.deviceId)).toEqual(before); // still waiting, not REJECTED, no scrap proposal
    const truth = harness.simulator.truth().find((t) => t.deviceId === unkeyed.deviceId)!;
    expect(truth).toMatchObject({ firmwareVersion: unkeyed.firmwareVersion, flashCount: 0, unlocked: false, failedUnlocks: 0 });
  });
});

describe('a bench config with the simulator off', () => {
  const trusted = join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem');
  const write = (config: object): { dir: string; file: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'flashd-keys-'));
    const file = join(dir, 'flashd.json');
    writeFileSync(file, JSON.stringify({ store: { path: join(dir, 'flashd.db') }, api: { port: 0 }, simulator: { enabled: false }, ...config }));
    return { dir, file };
  };

  it('starts without keys for some manufacturers and names them in the log', async () => {
    const { file } = write({ images: { trustedKeyFiles: [trusted] }, unlock: { keys: { '1086': 'ab'.repeat(32) } } });
    const daemon = startDaemon(['--config', file]);
    try {
      await daemon.ready;
      const warning = daemon
        .stdout()
        .split('\n')
        .find((l) => l.includes('no unlock key for these manufacturers'));
      expect(JSON.parse(warning!)).toMatchObject({ level: 40, manufacturers: ['1178', '106C'] });
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });

  it('refuses a mistyped manufacturer code with exit 78 and a "did you mean", creating nothing', async () => {
    const { dir, file } = write({ images: { trustedKeyFiles: [trusted] }, unlock: { keys: { '1O86': 'ab'.repeat(32) } } });
    const daemon = startDaemon(['--config', file]);
    expect(await daemon.exited).toBe(78);
    expect(daemon.stderr()).toContain('/unlock/keys/1O86: manufacturer "1O86" is not in the catalogue (did you mean "1086"?');
    expect(readdirSync(dir)).toEqual(['flashd.json']);
  });
});
