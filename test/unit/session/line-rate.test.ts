import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, type HubTimingProfile } from '../../../jig-sim/hub-profile.js';
import { generateStock } from '../../../jig-sim/stock.js';
import { VirtualHub } from '../../../jig-sim/virtual-hub.js';
import { BAUD_IDLE_REVERT_MS, candidateRates, lowerRate, type BaudPolicy } from '../../../src/session/baud-policy.js';
import { LineHealth } from '../../../src/session/line-health.js';
import { FaultLink, NO_FAULTS, type FaultModel } from '../../helpers/fault-link.js';
import { FAST_TIMEOUTS, flashOverRig } from '../../helpers/transfer-rig.js';

const BASE = 115_200;
const policy: BaudPolicy = { baseBaudRate: BASE, rates: [921_600, 230_400, 460_800], errorLimit: { errors: 4, windowBlocks: 32 } };

describe('baud policy', () => {
  it('offers the configured rates the hub and jig allow, best first, above the base rate', () => {
    expect(candidateRates(policy, 921_600)).toEqual([921_600, 460_800, 230_400]);
    expect(candidateRates(policy, 460_800)).toEqual([460_800, 230_400]);
    expect(candidateRates({ ...policy, maxBaudRate: 230_400 }, 921_600)).toEqual([230_400]);
    expect(candidateRates({ ...policy, rates: [] }, 921_600)).toEqual([]);
    expect(candidateRates({ ...policy, baseBaudRate: 921_600 }, 921_600)).toEqual([]);
  });

  it('steps down one rate at a time, to the base rate and no further', () => {
    expect(lowerRate(policy, 921_600, 921_600)).toBe(460_800);
    expect(lowerRate(policy, 921_600, 230_400)).toBe(BASE);
    expect(lowerRate(policy, 921_600, BASE)).toBeUndefined();
  });
});

describe('line health', () => {
  it('trips when the errors within the last N blocks reach the limit, and forgets older ones', () => {
    const health = new LineHealth({ errors: 3, windowBlocks: 10 });
    health.record(1);
    health.record(5);
    expect(health.exceeded(6)).toBe(false);
    health.record(9);
    expect(health.exceeded(9)).toBe(true);
    expect(health.exceeded(12)).toBe(false);
    expect(new LineHealth(undefined).exceeded(1)).toBe(false);
  });
});

let link: FaultLink | undefined;
afterEach(() => link?.close());

function rig(profile: Partial<HubTimingProfile>, faultsAt: (baudRate: number) => FaultModel): { hub: VirtualHub; link: FaultLink } {
  const hub = new VirtualHub(generateStock({ seed: 'baud', count: 1 })[0]!, {
    ...INSTANT_HUB_PROFILE,
    selectiveResend: true,
    flashBytes: 128 * 1024,
    ...profile,
  });
  link = new FaultLink(hub, { seed: 7, faults: (rate) => ({ toHub: faultsAt(rate), toHost: faultsAt(rate) }), defaultBaudRate: BASE });
  return { hub, link };
}

const prefs = { blockBytes: 1024, window: 8, deflate: false };
const timeouts = { ...FAST_TIMEOUTS, requestTimeoutMs: 60, ackTimeoutMs: 60 };

describe('baud negotiation over the hub link', () => {
  it('switches both ends to the highest rate both support, and the hub confirms it at that rate', async () => {
    const r = rig({ maxBaudRate: 460_800 }, () => NO_FAULTS);
    const image = randomBytes(16 * 1024);
    const result = await flashOverRig({ ...r, image, prefs, timeouts, baud: policy });
    expect(result.baudRate).toBe(460_800);
    expect(result.summary).toMatchObject({ baudRate: 460_800, stepDowns: 0 });
    expect(r.link.hostRates).toEqual([460_800]);
    expect(r.link.responder.baudRate).toBe(460_800);
  });

  it('stays at the base rate when the hub refuses every offered rate', async () => {
    const r = rig({}, () => NO_FAULTS);
    const result = await flashOverRig({ ...r, image: randomBytes(4096), prefs, timeouts, baud: { ...policy, rates: [500_000] } });
    expect(result.baudRate).toBe(BASE);
    expect(r.link.hostRates).toEqual([]);
  });

  it('steps down when errors crowd together at a rate, and finishes the image at the lower one', async () => {
    const noisy: FaultModel = { loss: 0.25, corrupt: 0, duplicate: 0, reorder: 0 };
    const r = rig({}, (rate) => (rate > 460_800 ? noisy : NO_FAULTS));
    const image = randomBytes(96 * 1024);
    // The first switch must get through the noise to be tested at all: a seed where it does.
    const result = await flashOverRig({ ...r, image, prefs, timeouts, baud: policy });
    expect(result.summary.stepDowns).toBe(1);
    expect(result.baudRate).toBe(460_800);
    expect(r.link.hostRates).toEqual([921_600, 460_800]);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('goes back when a new rate does not carry, finds the hub back at the base rate, and tries the next', async () => {
    const dead: FaultModel = { loss: 1, corrupt: 0, duplicate: 0, reorder: 0 };
    const r = rig({}, (rate) => (rate === 921_600 ? dead : NO_FAULTS));
    const image = randomBytes(8 * 1024);
    const started = performance.now();
    const result = await flashOverRig({ ...r, image, prefs, timeouts, baud: policy });
    expect(performance.now() - started).toBeGreaterThanOrEqual(BAUD_IDLE_REVERT_MS);
    expect(r.link.hostRates).toEqual([921_600, BASE, 460_800]);
    expect(result.baudRate).toBe(460_800);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('finds a hub left at a raised rate (flashd restarted mid-session) without waiting for its idle revert', async () => {
    const r = rig({}, () => NO_FAULTS);
    await flashOverRig({ ...r, image: randomBytes(8 * 1024), prefs, timeouts, baud: policy });
    expect(r.link.baudRate).toBe(921_600);
    // A new host starts at the base rate; the hub, never told, is still at 921,600.
    r.link.hostRate = BASE;
    const started = performance.now();
    const image = randomBytes(12 * 1024);
    const result = await flashOverRig({ ...r, image, prefs, timeouts, baud: policy });
    expect(performance.now() - started).toBeLessThan(BAUD_IDLE_REVERT_MS);
    expect(result.baudRate).toBe(921_600);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('keeps its silences at a raised rate short of the hub idle revert, whatever ackTimeoutMs says', async () => {
    let dropUntil = 0;
    const r = rig({}, () => NO_FAULTS);
    // Lose every acknowledgement for 3 s once data flows: the host must resend well before 5 s.
    r.link.drop = (direction, _n, frame) => {
      if (direction === 'toHub' && dropUntil === 0 && frame.length > 1000) dropUntil = performance.now() + 3000;
      return direction === 'toHost' && performance.now() < dropUntil;
    };
    const image = randomBytes(24 * 1024);
    const result = await flashOverRig({ ...r, image, prefs, timeouts: { ...timeouts, ackTimeoutMs: 8000 }, baud: policy });
    expect(result.summary.timeouts).toBeGreaterThanOrEqual(1);
    expect(r.link.hubRates).toEqual([921_600]);
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });
});
