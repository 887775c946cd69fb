import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE } from '../../../jig-sim/hub-profile.js';
import { generateStock } from '../../../jig-sim/stock.js';
import { VirtualHub } from '../../../jig-sim/virtual-hub.js';
import { FlashdError } from '../../../src/domain/errors.js';
import { cobsDecode } from '../../../src/link/cobs.js';
import { MSG } from '../../../src/session/hub-messages.js';
import { FaultLink, NO_FAULTS } from '../../helpers/fault-link.js';
import { FAST_TIMEOUTS, IN_MEMORY_BAUD_RATE, flashOverRig } from '../../helpers/transfer-rig.js';

/**
 * A stalled transfer is noise or silence (docs/protocol.md §2.8): blocks are cut only when the hub
 * is still heard (here: it answers the short IDENTIFY while long DATA frames die), never when it
 * sends nothing at all.
 */
let link: FaultLink | undefined;
afterEach(() => link?.close());

const timeouts = { ...FAST_TIMEOUTS, requestTimeoutMs: 100, requestRetries: 3, ackTimeoutMs: 100, transferRetries: 4 };
const prefs = { blockBytes: 4096, window: 4, deflate: false };

function rig(drop: (direction: 'toHub' | 'toHost', frame: Buffer) => boolean): { hub: VirtualHub; link: FaultLink } {
  const hub = new VirtualHub(generateStock({ seed: 'silence-or-noise', count: 1 })[0]!, { ...INSTANT_HUB_PROFILE, maxWindow: 8, flashBytes: 64 * 1024 });
  link = new FaultLink(hub, {
    seed: 3,
    faults: () => ({ toHub: NO_FAULTS, toHost: NO_FAULTS }),
    defaultBaudRate: IN_MEMORY_BAUD_RATE,
    drop: (direction, _n, frame) => drop(direction, frame),
  });
  return { hub, link };
}

describe('a stalled transfer', () => {
  it('whose long frames die while the hub answers short ones: noise, blocks cut until they pass, the line flagged', async () => {
    // Every DATA frame longer than a 256-byte block is lost on its way, as bit errors do to long frames.
    const r = rig((direction, frame) => direction === 'toHub' && cobsDecode(frame.subarray(0, -1))?.[0] === MSG.DATA && frame.length > 300);
    const image = randomBytes(20_000);
    const { summary } = await flashOverRig({ ...r, image, prefs, timeouts });
    expect(summary).toMatchObject({ blockBytes: 256, blockSteps: 2, lineSuspect: true });
    expect(r.hub.flash.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('whose hub sends nothing at all from some point on: HUB_TIMEOUT, no block cut, not LINE_SUSPECT', async () => {
    let dataFrames = 0;
    const r = rig((direction, frame) => {
      // From the third block on, the hub's side goes dead (a hung hub): nothing comes back.
      if (direction === 'toHub' && cobsDecode(frame.subarray(0, -1))?.[0] === MSG.DATA) dataFrames++;
      return dataFrames >= 3 && direction === 'toHost';
    });
    const image = randomBytes(20_000);
    const err = await flashOverRig({ ...r, image, prefs, timeouts }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FlashdError);
    // The block-cutting path called a hung hub's line suspect (and spent a BEGIN with three times the retries on it).
    expect((err as FlashdError).code).toBe('HUB_TIMEOUT');
  });
});
