import { describe, expect, it } from 'vitest';
import { decideEligibility, type ImageTarget } from '../../../src/domain/eligibility.js';
import { decideWithHistory, NO_FLASH_HISTORY, type FlashHistory } from '../../../src/domain/flash-history.js';
import type { HubIdentity } from '../../../src/domain/hub-identity.js';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';

const hub = (firmware: string, model = '0101030B'): HubIdentity => ({
  deviceId: parseDeviceId('00-DB-12-34-56-78-90-A0'),
  gpfDeviceId: parseDeviceId('00-DB-12-34-56-78-90-A1'),
  manufacturer: '1086',
  model,
  hardwareVersion: 2,
  firmwareVersion: parseFirmwareVersion(firmware),
  locked: true,
});
const target: ImageTarget = { manufacturer: '1086', model: '0101030B', version: parseFirmwareVersion('0002012F'), hardwareMin: 1, hardwareMax: 4 };
const SHA = 'ab'.repeat(32);
const activated = (version: string): FlashHistory => ({ activations: [{ attemptId: 7, version: parseFirmwareVersion(version), sha256: SHA }] });

/** What the bench does with an identified hub, given what it already did to it on the work order. */
const decide = (firmware: string, history: FlashHistory, declaredModel?: string) => {
  const h = hub(firmware);
  const d = decideWithHistory(h, target, decideEligibility(h, target, declaredModel), history);
  return d.action === 'refuse' || d.action === 'propose-scrap' ? `${d.action} ${d.code}` : d.action;
};

describe("eligibility corrected by the bench's own history (issue 9)", () => {
  it.each([
    // running        history                         declared model   decision
    ['0002012A', NO_FLASH_HISTORY, undefined, 'flash'],
    ['0002012F', NO_FLASH_HISTORY, undefined, 'already-current'],
    ['00020130', NO_FLASH_HISTORY, undefined, 'refuse DOWNGRADE_REFUSED'],
    ['0002012A', NO_FLASH_HISTORY, '0102030B', 'refuse HUB_MODEL_MISMATCH'],
    // An earlier attempt verified and activated the target; its read-back was lost (a crash during the reboot).
    ['0002012F', activated('0002012F'), undefined, 'completed'],
    // It activated some other version (an older catalogue): the hub running today's target is not that flash.
    ['0002012F', activated('0002012E'), undefined, 'already-current'],
    // Activated, and the hub still runs the old version (the activation never took): flash it again.
    ['0002012A', activated('0002012F'), undefined, 'flash'],
    // Activated, then the hub boots a version above the catalogue: the bench changed it, so re-flash, never REJECTED.
    ['00020130', activated('0002012F'), undefined, 'flash'],
    // Activated, then the hub fails a check that has nothing to do with versions: propose scrap, never REJECTED.
    ['0002012A', activated('0002012F'), '0102030B', 'propose-scrap FLASHED_HUB_INELIGIBLE'],
  ])('runs %s with history %j (declared %s): %s', (firmware, history, declared, expected) => {
    expect(decide(firmware, history, declared)).toBe(expected);
  });

  it('names the activation a completed re-flash rests on, and the refusal a scrap proposal replaces', () => {
    const h = hub('0002012F');
    expect(decideWithHistory(h, target, decideEligibility(h, target), activated('0002012F'))).toEqual({
      action: 'completed',
      target,
      activation: { attemptId: 7, version: '0002012F', sha256: SHA },
    });
    const other = hub('0002012A');
    expect(decideWithHistory(other, target, decideEligibility(other, target, '0102030B'), activated('0002012F'))).toMatchObject({
      refusal: 'HUB_MODEL_MISMATCH',
    });
  });
});
