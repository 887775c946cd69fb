import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness, type Transport } from '../helpers/bench-harness.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));
const HAS_SOCAT = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
if (!HAS_SOCAT) console.warn('transport contract: socat is not installed (Debian package "socat"); the PTY transport is skipped');

/**
 * One contract, three transports: the daemon's own code paths (in-process streams, TCP sockets as
 * ser2net gives, and real PTYs opened through serialport) must flash the same hubs to the same
 * ground truth, and survive the jig's control port going away.
 */
const TRANSPORTS: Array<[Transport, boolean]> = [
  ['in-process', true],
  ['tcp', true],
  ['pty', HAS_SOCAT],
];

describe.each(TRANSPORTS)('transport contract: %s', (transport, available) => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it.runIf(available)('flashes every hub end to end; the hubs really run the target and flashd recorded what they run', async () => {
    const stock = generateStock({ seed: `contract-${transport}`, count: 6 });
    // Device time does not vary by transport, so the hubs take none: the link is what is compared.
    harness = new BenchHarness({ transport, stock, workOrder: true, profile: INSTANT_HUB_PROFILE, timing: { paced: true, baudRate: 921_600, latencyMs: 2 } });
    await harness.start();
    const results = await harness.finished(6, 40_000);
    expect(results.map((r) => r.result.result)).toEqual(Array(6).fill('REFLASHED'));
    // The jig's lines start at 115,200; every session switched its line (for a PTY, serialport's
    // update() on the real device) and the hub followed.
    expect(results.map((r) => r.result.transfer?.baudRate)).toEqual(Array(6).fill(921_600));
    for (const hub of harness.simulator.truth()) {
      expect(hub).toMatchObject({ firmwareVersion: LATEST.get(hub.model), flashCount: 1, heldImage: null, pendingActivation: false });
      const stored = harness.store.getHub(hub.deviceId)!;
      expect(stored.outcome).toBe('REFLASHED');
      expect(stored.firmwareVersion).toBe(hub.firmwareVersion);
      expect(stored.attempts[0]!.hubSha256).toBe(stored.attempts[0]!.imageSha256);
    }
    // Bytes really crossed this transport's lines (not a shortcut): at least one image per hub.
    const toHubs = harness.simulator.jig(1).slots.reduce((n, s) => n + s.line.bytesToDevice, 0);
    expect(toHubs).toBeGreaterThan(6 * 150_000);
  });

  it.runIf(available)('reconnects after the jig control port drops, and flashes a hub inserted afterwards', async () => {
    const [first, second] = generateStock({ seed: `contract-reconnect-${transport}`, count: 2 });
    harness = new BenchHarness({ transport, stock: [first!], reserve: [second!], workOrder: true, profile: INSTANT_HUB_PROFILE });
    await harness.start();
    await harness.finished(1, 20_000);
    const control = harness.simulator.jig(1).control;
    harness.simulator.faults.inject({ kind: 'control-disconnect', target: { jig: 1 }, refuseMs: 200 });
    const deadline = Date.now() + 15_000;
    while (control.attachCount < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(control.attachCount).toBeGreaterThanOrEqual(2);
    harness.simulator.jig(1).insert(3, second!);
    const [, after] = await harness.finished(2, 20_000);
    expect(after!.result.result).toBe('REFLASHED');
    expect(harness.simulator.truth().find((t) => t.deviceId === second!.deviceId)).toMatchObject({ slot: 3, flashCount: 1 });
  });
});
