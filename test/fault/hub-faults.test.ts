import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogImage } from '../../src/images/catalog-image.js';
import { HUB_STATUS } from '../../src/session/hub-status.js';
import { INSTANT_HUB_PROFILE, Simulator, generateStock, parseScenario, type HubSpec, type HubTimingProfile } from '../../jig-sim/index.js';
import { HubWire, ackedOffset, sendWindowed, unlockHub } from '../helpers/hub-wire.js';
import { demoCatalog, flashSlot } from '../helpers/sim-session.js';

let sim: Simulator | undefined;
let spec: HubSpec;
let image: CatalogImage;
const target = { jig: 1, slot: 1 };

beforeAll(async () => {
  spec = generateStock({ seed: 'hub-faults', count: 1 })[0]!;
  image = (await demoCatalog()).latestFor(spec.manufacturer, spec.model)!;
});

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function start(faults: unknown[], profile: Partial<HubTimingProfile> = {}): Simulator {
  sim = new Simulator({ jigs: 1, profileFor: () => ({ ...INSTANT_HUB_PROFILE, ...profile }) });
  sim.jig(1).insert(1, spec);
  sim.startScenario(parseScenario({ seed: 'hub-faults', faults }));
  return sim;
}
const truth = () => sim!.truth()[0]!;

describe('hub faults', () => {
  it('brick on the 2nd IDENTIFY: the first is answered, then nothing, even after a power cycle', async () => {
    start([{ kind: 'brick', target, when: { phase: 'IDENTIFY', attempt: 2 } }]);
    const wire = HubWire.open(sim!, 1, 1);
    expect((await wire.request({ kind: 'IDENTIFY' }))?.kind).toBe('IDENTITY');
    expect(await wire.request({ kind: 'IDENTIFY' }, 200)).toBeUndefined();
    sim!.jig(1).setPower(1, false);
    sim!.jig(1).setPower(1, true);
    expect(await wire.request({ kind: 'IDENTIFY' }, 200)).toBeUndefined();
    expect(truth()).toMatchObject({ bricked: true, firmwareVersion: spec.firmwareVersion });
    expect(sim!.faults.fired).toEqual([expect.objectContaining({ index: 0, kind: 'brick' })]);
  });

  it('brick at VERIFY fails the session with a timeout; the image stays held, the old firmware runs', async () => {
    start([{ kind: 'brick', target, when: { phase: 'VERIFY' } }]);
    const result = await flashSlot(sim!, 1, 1, { timeouts: { verifyTimeoutBaseMs: 300, verifyTimeoutMsPerMiB: 400, requestRetries: 1 } });
    expect(result).toMatchObject({ result: 'FAILED', error: { code: 'HUB_TIMEOUT', phase: 'VERIFYING' } });
    expect(truth()).toMatchObject({ bricked: true, firmwareVersion: spec.firmwareVersion, heldImage: { committedBytes: image.sizeBytes } });
  });

  it('a hang (untilPowerCycle) ends with power: the hub answers again afterwards', async () => {
    start([{ kind: 'brick', target, untilPowerCycle: true, when: { phase: 'UNLOCK' } }]);
    const wire = HubWire.open(sim!, 1, 1);
    expect(await wire.request({ kind: 'UNLOCK_CHALLENGE' }, 200)).toBeUndefined();
    expect(truth()).toMatchObject({ hung: true, bricked: false });
    sim!.jig(1).setPower(1, false);
    sim!.jig(1).setPower(1, true);
    expect((await wire.request({ kind: 'IDENTIFY' }))?.kind).toBe('IDENTITY');
  });

  it('unlock-refused at UNLOCK: every unlock fails and the hub locks itself out after lockoutAfter tries', async () => {
    start([{ kind: 'unlock-refused', target, lockoutAfter: 2, when: { phase: 'UNLOCK' } }]);
    expect(await flashSlot(sim!, 1, 1)).toMatchObject({ result: 'FAILED', error: { code: 'UNLOCK_REFUSED', phase: 'UNLOCKING' } });
    expect(truth()).toMatchObject({ failedUnlocks: 1, lockedOut: false, unlocked: false });
    expect(await flashSlot(sim!, 1, 1)).toMatchObject({ error: { code: 'UNLOCK_REFUSED' } });
    expect(truth()).toMatchObject({ failedUnlocks: 2, lockedOut: true });
    expect(await flashSlot(sim!, 1, 1)).toMatchObject({ error: { code: 'UNLOCK_LOCKED_OUT' } });
    expect(truth().firmwareVersion).toBe(spec.firmwareVersion);
  });

  it('flash-write-error: the hub reports FLASH_WRITE_FAILED unsolicited, stops acknowledging, and FINISH says so', async () => {
    start([{ kind: 'flash-write-error', target, sector: 5 }]);
    const wire = HubWire.open(sim!, 1, 1);
    await unlockHub(wire, spec);
    await wire.request({ kind: 'BEGIN', sha256: Buffer.from(image.sha256, 'hex'), imageSize: image.sizeBytes, blockBytes: 4096, window: 4, flags: 0 });
    const acked = await sendWindowed(wire, image.data, { blockBytes: 4096, window: 4, quietMs: 300 });
    expect(acked).toBeLessThan(image.sizeBytes);
    expect(acked).toBeLessThanOrEqual(6 * 4096 + 4 * 4096); // acknowledged while buffered, then nothing more
    const error = wire.received.find((r) => r.message.kind === 'ERROR');
    expect(error?.message).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.FLASH_WRITE_FAILED });
    expect(ackedOffset(wire)).toBe(acked);
    expect(truth().heldImage).toMatchObject({ committedBytes: 5 * 4096, verified: false });
    expect(await wire.request({ kind: 'FINISH' })).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.FLASH_WRITE_FAILED });
    // A retry fails at the same sector: the defect belongs to the hub.
    const result = await flashSlot(sim!, 1, 1);
    expect(result).toMatchObject({ result: 'FAILED', error: { phase: 'TRANSFERRING' } });
    expect(truth()).toMatchObject({ firmwareVersion: spec.firmwareVersion, heldImage: { committedBytes: 5 * 4096 } });
  });

  it('hash-mismatch: a bit flips in flash, the on-hub SHA-256 differs, nothing activates; the next attempt succeeds', async () => {
    start([{ kind: 'hash-mismatch', target, offset: 70_000 }]);
    const first = await flashSlot(sim!, 1, 1);
    expect(first).toMatchObject({ result: 'FAILED', error: { code: 'VERIFY_MISMATCH', phase: 'VERIFYING' } });
    expect(first.hubSha256).not.toBe(image.sha256);
    expect(truth()).toMatchObject({ firmwareVersion: spec.firmwareVersion, heldImage: { committedBytes: image.sizeBytes, verified: false } });
    expect(sim!.jig(1).slot(1).hub!.flash[70_000]).toBe(image.data[70_000]! ^ 1);
    const second = await flashSlot(sim!, 1, 1);
    expect(second.result).toBe('REFLASHED');
    expect(second.transfer?.resumedFromBytes).toBe(0); // the held prefix failed its hash: sent again
    expect(truth()).toMatchObject({ firmwareVersion: image.version, flashCount: 1 });
  });

  it('slow-hub multiplies device time: unlock takes factor × the profile', async () => {
    start([{ kind: 'slow-hub', target, factor: 4 }], { unlockMs: 40 });
    const wire = HubWire.open(sim!, 1, 1);
    const started = performance.now();
    expect(await unlockHub(wire, spec)).toMatchObject({ kind: 'UNLOCKED' });
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(160 - 1);
    expect(ms).toBeLessThan(400);
  });
});
