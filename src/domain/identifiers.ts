import { FlashdError } from './errors.js';

/** EUI-64 Device ID as DCC interfaces print it: upper-case hex octets joined by `-`. */
export type DeviceId = string & { readonly __brand: 'DeviceId' };
/** Firmware version: 8 upper-case hex digits, equal to the OTA header file version. */
export type FirmwareVersion = string & { readonly __brand: 'FirmwareVersion' };

const DEVICE_ID_RE = /^[0-9A-F]{2}(-[0-9A-F]{2}){7}$/;
const VERSION_RE = /^[0-9A-F]{8}$/;
const MANUFACTURER_RE = /^[0-9A-F]{4}$/;
const MODEL_RE = /^[0-9A-F]{8}$/;

export function isDeviceId(value: unknown): value is DeviceId {
  return typeof value === 'string' && DEVICE_ID_RE.test(value);
}

/**
 * Parses a Device ID as typed or scanned. Lower case is accepted and upper-cased; anything else
 * that is not 8 hex octets joined by `-` is refused with the reason.
 */
export function parseDeviceId(value: string): DeviceId {
  const upper = value.trim().toUpperCase();
  if (!DEVICE_ID_RE.test(upper)) {
    throw new FlashdError('DEVICE_ID_INVALID', `"${value}" is not a Device ID: expected 8 hex octets joined by "-", e.g. 00-DB-12-34-56-78-90-A0`, {
      details: { value },
    });
  }
  return upper as DeviceId;
}

export function deviceIdFromBytes(bytes: Uint8Array): DeviceId {
  if (bytes.length !== 8) throw new RangeError(`a Device ID has 8 octets, got ${bytes.length}`);
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('-') as DeviceId;
}

export function deviceIdToBytes(id: DeviceId): Buffer {
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

export function parseFirmwareVersion(value: string): FirmwareVersion {
  const upper = value.trim().toUpperCase();
  if (!VERSION_RE.test(upper)) {
    throw new FlashdError('FIRMWARE_VERSION_INVALID', `"${value}" is not a firmware version: expected 8 hex digits, e.g. 0002012F`, {
      details: { value },
    });
  }
  return upper as FirmwareVersion;
}

export function firmwareVersionFromNumber(n: number): FirmwareVersion {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`firmware version out of range: ${n}`);
  return n.toString(16).toUpperCase().padStart(8, '0') as FirmwareVersion;
}

export function firmwareVersionToNumber(v: FirmwareVersion): number {
  return Number.parseInt(v, 16);
}

/** Negative when a is older than b, 0 when equal, positive when newer. File versions compare as unsigned 32-bit. */
export function compareFirmwareVersions(a: FirmwareVersion, b: FirmwareVersion): number {
  return firmwareVersionToNumber(a) - firmwareVersionToNumber(b);
}

export function formatManufacturer(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

export function formatModel(code: number): string {
  return code.toString(16).toUpperCase().padStart(8, '0');
}

export function isManufacturerCode(value: string): boolean {
  return MANUFACTURER_RE.test(value);
}

export function isModelCode(value: string): boolean {
  return MODEL_RE.test(value);
}
