import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { DEFAULT_HUB_PROFILE } from '../../jig-sim/hub-profile.js';
import { generateStock } from '../../jig-sim/stock.js';
import type { VirtualJig } from '../../jig-sim/virtual-jig.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { waitFor } from '../helpers/wait-for.js';

/** A WNC hub: its image (≈270 KB) takes a couple of seconds through the default flash profile. */
const MODEL = DEVICE_MODELS[2]!;
const BLOCK = 4096;
/** Default flash speed (slower than the unpaced link, so the cut lands mid-transfer); quick to reboot. */
const PROFILE = { ...DEFAULT_HUB_PROFILE, rebootMs: 50, hashMsPerMiB: 10 };

function oneHub(seed: string) {
  return generateStock({ seed, count: 12 })
    .filter((s) => s.model === MODEL.model)
    .slice(0, 1);
}

const committed = (jig: VirtualJig): number => jig.slot(1).hub?.held?.committedBytes ?? 0;

describe('a transfer cut off part-way resumes from what the hub holds', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  async function midTransfer(seed: string): Promise<{ h: BenchHarness; jig: VirtualJig; imageBytes: number }> {
    const h = (harness = new BenchHarness({ stock: oneHub(seed), profile: PROFILE, workOrder: true }));
    await h.start();
    const jig = h.simulator.jigs[0]!;
    await waitFor('the transfer to pass 30%', () => committed(jig) > 80_000, { intervalMs: 5 });
    return { h, jig, imageBytes: jig.slot(1).hub!.held!.sizeBytes };
  }

  /**
   * `resendLimit`: with the hub powered throughout, what it received but had not programmed is
   * still there (BEGIN waits for it), so only frames in flight are lost: one window, plus the block
   * rounding. A hub that lost power also lost the window it had acknowledged but not yet programmed.
   */
  function expectReflashedByResume(h: BenchHarness, imageBytes: number, heldAtCut: number, resendLimit = (8 + 1) * BLOCK) {
    const results = h.results.map((r) => r.result);
    const last = results.at(-1)!;
    expect(last.result, JSON.stringify(last.error)).toBe('REFLASHED');
    const resumed = last.transfer!.resumedFromBytes;
    expect(resumed).toBeGreaterThanOrEqual(Math.floor(heldAtCut / BLOCK) * BLOCK);
    expect(last.transfer!.prefixRejectedBytes).toBeUndefined();
    expect(last.transfer!.sentBytes).toBe(imageBytes - resumed);
    const truth = h.simulator.truth()[0]!;
    expect(truth.firmwareVersion).toBe(MODEL.latestVersion);
    expect(truth.flashCount).toBe(1);
    // Resent = everything sent in all attempts beyond the image itself: at most a window plus a block.
    const sent = results.reduce((sum, r) => sum + (r.transfer?.sentBytes ?? 0), 0);
    expect(sent - imageBytes).toBeLessThanOrEqual(resendLimit);
    return last;
  }

  it('after the hub is pulled and put back', async () => {
    const { h, jig, imageBytes } = await midTransfer('resume-pull');
    const hub = jig.remove(1)!;
    const heldAtCut = hub.held!.committedBytes;
    await h.finished(1);
    expect(h.results[0]!.result).toMatchObject({ result: 'INTERRUPTED', error: { code: 'HUB_REMOVED' } });
    jig.insert(1, hub);
    await h.finished(2);
    const last = expectReflashedByResume(h, imageBytes, heldAtCut, (2 * 8 + 1) * BLOCK);
    expect(last.transfer!.resumedFromBytes).toBe(Math.floor(heldAtCut / BLOCK) * BLOCK);
  });

  it('after the link to the jig drops and comes back (a ser2net restart)', async () => {
    const { h, jig, imageBytes } = await midTransfer('resume-drop');
    const heldAtCut = committed(jig);
    jig.control.detachHost();
    for (const slot of jig.slots) slot.line.detachHost();
    await h.finished(2);
    expect(h.results[0]!.result.result).not.toBe('REFLASHED');
    expect(h.store.getHub(h.simulator.truth()[0]!.deviceId)!.attempts).toHaveLength(2);
    expectReflashedByResume(h, imageBytes, heldAtCut);
  });

  it("after only the slot's own link drops (its ser2net port restarts) while the jig stays connected", async () => {
    const { h, jig, imageBytes } = await midTransfer('resume-slot-drop');
    const heldAtCut = committed(jig);
    jig.slot(1).line.detachHost();
    await h.finished(2);
    expect(h.results[0]!.result.result).toBe('INTERRUPTED');
    expectReflashedByResume(h, imageBytes, heldAtCut);
  });

  it('after flashd itself restarts (its session threads killed mid-transfer), with the same hub state', async () => {
    const { h, jig, imageBytes } = await midTransfer('resume-restart');
    const heldAtCut = committed(jig);
    await h.restartDaemon({ crash: true });
    await h.finished(2);
    expect(h.results[0]!.result.result).toBe('FAILED');
    expectReflashedByResume(h, imageBytes, heldAtCut);
    const attempts = h.store.getHub(h.simulator.truth()[0]!.deviceId)!.attempts;
    expect(attempts.map((a) => a.result).sort()).toEqual(['FAILED', 'REFLASHED']);
  });
});
