import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogImage } from '../../../src/images/catalog-image.js';
import { IDENTITY_IMAGE_HELD } from '../../../src/session/hub-messages.js';
import { HUB_STATUS } from '../../../src/session/hub-status.js';
import { INSTANT_HUB_PROFILE, Simulator, generateStock, type HubSpec, type HubTimingProfile } from '../../../jig-sim/index.js';
import { HubWire, ackedOffset, sendBlocks, sendWindowed, unlockHub } from '../../helpers/hub-wire.js';
import { demoCatalog } from '../../helpers/sim-session.js';

const BLOCK = 4096;
let sim: Simulator | undefined;
let wire: HubWire | undefined;
let spec: HubSpec;
let image: CatalogImage;

beforeAll(async () => {
  spec = generateStock({ seed: 'hub-state', count: 1 })[0]!;
  image = (await demoCatalog()).latestFor(spec.manufacturer, spec.model)!;
});

afterEach(async () => {
  wire?.close();
  await sim?.close();
  sim = undefined;
});

function start(profile: Partial<HubTimingProfile> = {}): Simulator {
  sim = new Simulator({ jigs: 1, profileFor: () => ({ ...INSTANT_HUB_PROFILE, ...profile }) });
  sim.jig(1).insert(1, spec);
  wire = HubWire.open(sim, 1, 1);
  return sim;
}

const truth = () => sim!.truth()[0]!;
const sha = () => Buffer.from(image.sha256, 'hex');
const begin = (flags = 0) => wire!.request({ kind: 'BEGIN', sha256: sha(), imageSize: image.sizeBytes, blockBytes: BLOCK, window: 8, flags });
const powerCycle = () => {
  sim!.jig(1).setPower(1, false);
  sim!.jig(1).setPower(1, true);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('simulated hub: only a complete, verified, activated image changes what runs', () => {
  it('an interrupted transfer leaves the old firmware running and the committed prefix held', async () => {
    start();
    await unlockHub(wire!, spec);
    expect((await begin())?.kind).toBe('READY');
    const acked = await sendWindowed(wire!, image.data, { to: 20 * BLOCK, blockBytes: BLOCK, window: 8 });
    expect(acked).toBe(20 * BLOCK);
    await sleep(20);
    powerCycle();
    const t = truth();
    expect(t.firmwareVersion).toBe(spec.firmwareVersion);
    expect(t.heldImage).toEqual({ sizeBytes: image.sizeBytes, committedBytes: 20 * BLOCK, verified: false });
    expect(
      sim!
        .jig(1)
        .slot(1)
        .hub!.flash.subarray(0, 20 * BLOCK)
        .equals(Buffer.from(image.data.subarray(0, 20 * BLOCK))),
    ).toBe(true);
    await sleep(5);
    const identity = await wire!.request({ kind: 'IDENTIFY' });
    expect(identity?.kind === 'IDENTITY' && identity.flags & IDENTITY_IMAGE_HELD).toBeTruthy();
  });

  it('loses acknowledged but unwritten blocks at a power cut (RAM), keeps programmed ones (flash)', async () => {
    start({ writeBytesPerSecond: 100_000, eraseMsPerSector: 5 }); // ~46 ms per 4 KiB block
    await unlockHub(wire!, spec);
    await begin();
    sendBlocks(wire!, image.data, 0, 8 * BLOCK, BLOCK);
    await wire!.waitFor((r) => r.message.kind === 'ACK' && r.message.offset === 8 * BLOCK);
    const acked = ackedOffset(wire!);
    sim!.jig(1).setPower(1, false);
    const committed = truth().heldImage!.committedBytes;
    expect(acked).toBe(8 * BLOCK);
    expect(committed).toBeLessThan(acked);
    sim!.jig(1).setPower(1, true);
    await unlockHub(wire!, spec);
    const ready = await begin();
    expect(ready).toMatchObject({ kind: 'READY', resumeOffset: committed });
  });

  it('refuses to activate a complete image that was not verified, and the version stays', async () => {
    start();
    await unlockHub(wire!, spec);
    await begin();
    expect(await sendWindowed(wire!, image.data, { blockBytes: BLOCK, window: 8 })).toBe(image.sizeBytes);
    const reply = await wire!.request({ kind: 'ACTIVATE' });
    expect(reply).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.NOT_VERIFIED });
    expect(truth().firmwareVersion).toBe(spec.firmwareVersion);
  });

  it('forgets a verification at power loss: a verified image must be verified again before activation', async () => {
    start();
    await unlockHub(wire!, spec);
    await begin();
    await sendWindowed(wire!, image.data, { blockBytes: BLOCK, window: 8 });
    expect(await wire!.request({ kind: 'FINISH' })).toMatchObject({ kind: 'VERIFIED', sha256: sha() });
    expect(truth().heldImage?.verified).toBe(true);
    powerCycle();
    expect(truth().heldImage).toEqual({ sizeBytes: image.sizeBytes, committedBytes: image.sizeBytes, verified: false });
    await sleep(5);
    expect(await wire!.request({ kind: 'ACTIVATE' })).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.NOT_VERIFIED });
  });

  it('runs the new version only after the activation reboot, and a power cut during it finishes at next boot', async () => {
    start({ rebootMs: 150 });
    await sleep(160); // power-up boot
    await unlockHub(wire!, spec);
    await begin();
    await sendWindowed(wire!, image.data, { blockBytes: BLOCK, window: 8 });
    await wire!.request({ kind: 'FINISH' });
    expect(await wire!.request({ kind: 'ACTIVATE' })).toMatchObject({ kind: 'ACTIVATING', rebootMs: 150 });
    expect(truth()).toMatchObject({ firmwareVersion: spec.firmwareVersion, pendingActivation: true, flashCount: 0 });
    sim!.jig(1).setPower(1, false); // mid-reboot
    await sleep(200);
    expect(truth()).toMatchObject({ firmwareVersion: spec.firmwareVersion, pendingActivation: true });
    sim!.jig(1).setPower(1, true);
    expect(truth().firmwareVersion).toBe(spec.firmwareVersion); // still booting
    await sleep(200);
    expect(truth()).toMatchObject({ firmwareVersion: image.version, pendingActivation: false, heldImage: null, flashCount: 1 });
  });

  it('removal loses the unlock but not the partial image; a different image discards it', async () => {
    start();
    await unlockHub(wire!, spec);
    await begin();
    await sendWindowed(wire!, image.data, { to: 10 * BLOCK, blockBytes: BLOCK, window: 8 });
    // Flash programs behind the acknowledgements: wait (bounded) for the last block, not a fixed 20 ms.
    for (let i = 0; i < 300 && sim!.truth()[0]!.heldImage?.committedBytes !== 10 * BLOCK; i++) await sleep(10);
    const hub = sim!.jig(1).remove(1)!;
    expect(sim!.truth()[0]).toMatchObject({ jigId: null, slot: null, heldImage: { committedBytes: 10 * BLOCK } });
    sim!.jig(1).insert(1, hub);
    await sleep(5);
    expect(await begin()).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.LOCKED });
    await unlockHub(wire!, spec);
    expect(await begin()).toMatchObject({ kind: 'READY', resumeOffset: 10 * BLOCK });
    const other = Buffer.alloc(32, 7);
    expect(await wire!.request({ kind: 'BEGIN', sha256: other, imageSize: 1000, blockBytes: BLOCK, window: 8, flags: 0 })).toMatchObject({
      kind: 'READY',
      resumeOffset: 0,
    });
    expect(truth().heldImage).toEqual({ sizeBytes: 1000, committedBytes: 0, verified: false });
  });

  it('locks out after too many failed unlocks until power-cycled; the failure counter persists', async () => {
    start({ maxUnlockAttempts: 2 });
    const wrong = { ...spec, masterKey: Buffer.alloc(32, 1) };
    expect(await unlockHub(wire!, wrong)).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.AUTH_FAILED });
    expect(await unlockHub(wire!, wrong)).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.AUTH_FAILED });
    expect(await unlockHub(wire!, spec)).toMatchObject({ kind: 'ERROR', status: HUB_STATUS.LOCKED_OUT });
    expect(truth()).toMatchObject({ lockedOut: true, failedUnlocks: 2 });
    powerCycle();
    expect(truth()).toMatchObject({ lockedOut: false, failedUnlocks: 2 });
    await sleep(5);
    expect(await unlockHub(wire!, spec)).toMatchObject({ kind: 'UNLOCKED' });
    expect(truth()).toMatchObject({ unlocked: true, failedUnlocks: 0 });
  });
});
