import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, type HubTimingProfile } from '../../../jig-sim/hub-profile.js';
import { generateStock } from '../../../jig-sim/stock.js';
import { VirtualHub } from '../../../jig-sim/virtual-hub.js';
import { cobsDecode } from '../../../src/link/cobs.js';
import { decodeFrame } from '../../../src/link/frame.js';
import { MSG, decodeMessage } from '../../../src/session/hub-messages.js';
import { HUB_STATUS } from '../../../src/session/hub-status.js';
import { FaultLink, NO_FAULTS } from '../../helpers/fault-link.js';
import { FAST_TIMEOUTS, IN_MEMORY_BAUD_RATE, flashOverRig as flash, type RigOptions, type RigResult } from '../../helpers/transfer-rig.js';

const BLOCK = 1024;
let link: FaultLink | undefined;
afterEach(() => link?.close());

function rig(profile: Partial<HubTimingProfile>, drop?: (n: number) => boolean): { hub: VirtualHub; link: FaultLink } {
  const hub = new VirtualHub(generateStock({ seed: 'engine', count: 1 })[0]!, { ...INSTANT_HUB_PROFILE, maxWindow: 8, flashBytes: 256 * 1024, ...profile });
  let dataFrames = 0;
  link = new FaultLink(hub, {
    seed: 1,
    faults: () => ({ toHub: NO_FAULTS, toHost: NO_FAULTS }),
    defaultBaudRate: IN_MEMORY_BAUD_RATE,
    drop: (direction, _n, frame) => direction === 'toHub' && cobsDecode(frame.subarray(0, -1))?.[0] === MSG.DATA && drop !== undefined && drop(dataFrames++),
  });
  return { hub, link };
}

const prefs = { blockBytes: BLOCK, window: 8, deflate: false };
/** Counts below are exact, so no timeout may fire by accident on a busy machine: generous timers. */
const STEADY = { ...FAST_TIMEOUTS, requestTimeoutMs: 1000, ackTimeoutMs: 300 };
const flashOverRig = (o: RigOptions): Promise<RigResult> => flash({ timeouts: STEADY, ...o });

describe('windowed transfer', () => {
  it('sends every block once on a clean line', async () => {
    const image = randomBytes(40 * BLOCK);
    const r = rig({});
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary).toMatchObject({ sentBytes: image.length, blocksResent: 0, gaps: 0, timeouts: 0, window: 8, blockBytes: BLOCK });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('with a selective hub, resends only the block that was lost', async () => {
    const image = randomBytes(40 * BLOCK);
    const r = rig({ selectiveResend: true }, (n) => n === 10);
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary.blocksResent).toBe(1);
    expect(summary.sentBytes).toBe(image.length + BLOCK);
    expect(summary.timeouts).toBe(0);
  });

  it('with a go-back-N hub, resends from the gap without waiting for a timeout', async () => {
    const image = randomBytes(40 * BLOCK);
    const r = rig({ selectiveResend: false }, (n) => n === 10);
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary.gaps).toBe(1);
    expect(summary.timeouts).toBe(0);
    expect(summary.blocksResent).toBeGreaterThanOrEqual(1);
    expect(summary.blocksResent).toBeLessThanOrEqual(8);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('with a go-back-N hub, a resend lost again is reported again by the hub and resent at once, not after a timeout', async () => {
    const image = randomBytes(40 * BLOCK);
    const hub = new VirtualHub(generateStock({ seed: 'engine', count: 1 })[0]!, {
      ...INSTANT_HUB_PROFILE,
      maxWindow: 8,
      flashBytes: 256 * 1024,
      selectiveResend: false,
    });
    let lost = 0;
    link = new FaultLink(hub, {
      seed: 1,
      faults: () => ({ toHub: NO_FAULTS, toHost: NO_FAULTS }),
      defaultBaudRate: IN_MEMORY_BAUD_RATE,
      // The first block is lost, and again when resent after the gap report: no round trip is
      // measured yet, so only the hub saying so again avoids a wait for the ACK timeout.
      drop: (direction, _n, frame) => {
        if (direction !== 'toHub') return false;
        const raw = decodeFrame(frame.subarray(0, -1));
        if (raw.type !== MSG.DATA) return false;
        const m = decodeMessage(raw);
        return m.kind === 'DATA' && m.offset === 0 && lost++ < 2;
      },
    });
    const { summary } = await flashOverRig({ hub, link, image, prefs });
    expect(lost).toBeGreaterThanOrEqual(3);
    expect(summary.gaps).toBe(2);
    expect(summary.timeouts).toBe(0);
    expect(hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('sends a resend that was lost again after twice the round trip, not after the ACK timeout', async () => {
    const image = randomBytes(40 * BLOCK);
    const r = rig({ selectiveResend: true });
    let copies = 0;
    r.link.drop = (direction, _n, frame) => {
      if (direction !== 'toHub') return false;
      const m = decodeMessage(decodeFrame(frame.subarray(0, -1)));
      return m.kind === 'DATA' && m.offset === 30 * BLOCK && copies++ < 2;
    };
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary).toMatchObject({ blocksResent: 2, timeouts: 0 });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('recovers the last block of the image by timeout when nothing comes after it', async () => {
    const image = randomBytes(10 * BLOCK + 17);
    const r = rig({ selectiveResend: true }, (n) => n === 10);
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary.timeouts).toBe(1);
    expect(summary.blocksResent).toBe(1);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('stops at once, with the hub status, when the hub reports a flash sector that will not program', async () => {
    const image = randomBytes(40 * BLOCK);
    const r = rig({ sectorBytes: 4096 });
    r.hub.defects.badSectors.set(3, 1);
    const started = performance.now();
    const err = await flashOverRig({ ...r, image, prefs }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'HUB_ERROR', details: { hubStatus: HUB_STATUS.FLASH_WRITE_FAILED } });
    // Not by waiting out the acknowledgement timer and its retries.
    expect(performance.now() - started).toBeLessThan(STEADY.ackTimeoutMs);
  });

  it('sends a block deflated only when that makes it smaller', async () => {
    const image = Buffer.concat([Buffer.alloc(8 * BLOCK, 0x5a), randomBytes(8 * BLOCK)]);
    const r = rig({ deflate: true });
    const { summary } = await flashOverRig({ ...r, image, prefs: { ...prefs, deflate: true } });
    expect(summary.sentBytes).toBe(image.length);
    expect(summary.wireBytes).toBeGreaterThan(8 * BLOCK);
    expect(summary.wireBytes).toBeLessThan(8 * BLOCK + 8 * 64);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });
});

describe('resume', () => {
  it('continues from the prefix the hub holds when its hash matches', async () => {
    const image = randomBytes(32 * BLOCK);
    const r = rig({});
    r.hub.held = { sha256: Buffer.from(await sha(image)), sizeBytes: image.length, committedBytes: 20 * BLOCK + 100, verified: false };
    image.copy(r.hub.flash, 0, 0, 20 * BLOCK + 100);
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary.resumedFromBytes).toBe(20 * BLOCK);
    expect(summary.sentBytes).toBe(12 * BLOCK);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('never trusts a prefix whose hash differs: starts again from zero', async () => {
    const image = randomBytes(32 * BLOCK);
    const r = rig({});
    r.hub.held = { sha256: Buffer.from(await sha(image)), sizeBytes: image.length, committedBytes: 20 * BLOCK, verified: false };
    image.copy(r.hub.flash, 0, 0, 20 * BLOCK);
    r.hub.flash[5 * BLOCK + 3]! ^= 0x40;
    const { summary } = await flashOverRig({ ...r, image, prefs });
    expect(summary).toMatchObject({ resumedFromBytes: 0, prefixRejectedBytes: 20 * BLOCK, sentBytes: image.length });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });
});

async function sha(data: Uint8Array): Promise<Buffer> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(data).digest();
}
