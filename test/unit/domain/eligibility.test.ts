import { describe, expect, it } from 'vitest';
import { decideEligibility, type ImageTarget } from '../../../src/domain/eligibility.js';
import type { HubIdentity } from '../../../src/domain/hub-identity.js';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';

const hub = (firmware: string, hardwareVersion = 2): HubIdentity => ({
  deviceId: parseDeviceId('00-DB-12-34-56-78-90-A0'),
  gpfDeviceId: parseDeviceId('00-DB-12-34-56-78-90-A1'),
  manufacturer: '1086',
  model: '0101030B',
  hardwareVersion,
  firmwareVersion: parseFirmwareVersion(firmware),
  locked: true,
});
const target: ImageTarget = { manufacturer: '1086', model: '0101030B', version: parseFirmwareVersion('0002012F'), hardwareMin: 1, hardwareMax: 4 };

describe('eligibility', () => {
  it('flashes an older hub, leaves a current one, refuses a newer one (never downgrade)', () => {
    expect(decideEligibility(hub('0002012A'), target).action).toBe('flash');
    expect(decideEligibility(hub('0002012F'), target).action).toBe('already-current');
    expect(decideEligibility(hub('00020130'), target)).toMatchObject({ action: 'refuse', code: 'DOWNGRADE_REFUSED' });
  });

  it('refuses unknown models and hardware outside the image range', () => {
    expect(decideEligibility(hub('0002012A'), undefined)).toMatchObject({ action: 'refuse', code: 'MODEL_UNKNOWN' });
    expect(decideEligibility(hub('0002012A'), { ...target, manufacturer: '1178' })).toMatchObject({ code: 'MODEL_UNKNOWN' });
    expect(decideEligibility(hub('0002012A', 5), target)).toMatchObject({ action: 'refuse', code: 'HARDWARE_OUT_OF_RANGE' });
    expect(decideEligibility(hub('0002012A', 0), target)).toMatchObject({ code: 'HARDWARE_OUT_OF_RANGE' });
    expect(decideEligibility(hub('0002012A', 4), target).action).toBe('flash');
  });

  it('refuses a hub whose Device Model differs from the one on its work order, before anything else', () => {
    expect(decideEligibility(hub('0002012A'), target, '0102030B')).toMatchObject({ action: 'refuse', code: 'HUB_MODEL_MISMATCH' });
    expect(decideEligibility(hub('0002012A'), target, '0101030B').action).toBe('flash');
    expect(decideEligibility(hub('0002012A'), target, null).action).toBe('flash');
  });
});
