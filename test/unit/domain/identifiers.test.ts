import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareFirmwareVersions,
  deviceIdFromBytes,
  deviceIdToBytes,
  firmwareVersionFromNumber,
  firmwareVersionToNumber,
  parseDeviceId,
  parseFirmwareVersion,
} from '../../../src/domain/identifiers.js';
import { isFlashdError } from '../../../src/domain/errors.js';

describe('Device ID', () => {
  it('accepts the DCC form and upper-cases what a scanner typed', () => {
    expect(parseDeviceId('00-DB-12-34-56-78-90-A0')).toBe('00-DB-12-34-56-78-90-A0');
    expect(parseDeviceId(' 00-db-12-34-56-78-90-a0\n')).toBe('00-DB-12-34-56-78-90-A0');
  });

  it.each(['00DB1234567890A0', '00-DB-12-34-56-78-90', '00-DB-12-34-56-78-90-A0-11', '00:DB:12:34:56:78:90:A0', '0G-DB-12-34-56-78-90-A0', ''])(
    'refuses %j with DEVICE_ID_INVALID naming the value',
    (value) => {
      try {
        parseDeviceId(value);
        expect.unreachable();
      } catch (err) {
        expect(isFlashdError(err, 'DEVICE_ID_INVALID')).toBe(true);
        expect((err as Error).message).toContain(JSON.stringify(value));
      }
    },
  );

  it('round-trips through its 8 octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const id = deviceIdFromBytes(bytes);
        expect(parseDeviceId(id)).toBe(id);
        expect([...deviceIdToBytes(id)]).toEqual([...bytes]);
      }),
    );
  });
});

describe('firmware version', () => {
  it('parses 8 hex digits and orders as unsigned 32-bit', () => {
    expect(parseFirmwareVersion('0002012f')).toBe('0002012F');
    expect(() => parseFirmwareVersion('2012F')).toThrow(/8 hex digits/);
    expect(compareFirmwareVersions(parseFirmwareVersion('0002012A'), parseFirmwareVersion('0002012F'))).toBeLessThan(0);
    expect(compareFirmwareVersions(parseFirmwareVersion('FFFFFFFF'), parseFirmwareVersion('7FFFFFFF'))).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(firmwareVersionToNumber(firmwareVersionFromNumber(n))).toBe(n);
      }),
    );
  });
});
