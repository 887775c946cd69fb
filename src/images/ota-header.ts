import { FlashdError } from '../domain/errors.js';
import { deviceIdFromBytes, deviceIdToBytes, isDeviceId, type DeviceId } from '../domain/identifiers.js';

/** `0x0BEEF11E`, stored little-endian, so a file starts `1E F1 EE 0B` (ZCL spec §11.4.2). */
export const OTA_MAGIC = 0x0beef11e;
/** Header length with no optional fields: magic through total image size. */
export const OTA_BASE_HEADER_BYTES = 56;
export const OTA_HEADER_STRING_BYTES = 32;

/** Field-control bits, each announcing an optional field after the total image size. */
export const OTA_FIELD_SECURITY_CREDENTIAL = 0x0001;
export const OTA_FIELD_DESTINATION = 0x0002;
export const OTA_FIELD_HARDWARE_VERSIONS = 0x0004;
const KNOWN_FIELD_BITS = OTA_FIELD_SECURITY_CREDENTIAL | OTA_FIELD_DESTINATION | OTA_FIELD_HARDWARE_VERSIONS;

/**
 * A ZigBee OTA upgrade file header. Numbers are as stored (unsigned); optional fields are present
 * exactly when their field-control bit is set, so a caller can tell "any hardware" from "1..4".
 */
export interface OtaHeader {
  headerVersion: number;
  /** Bytes from the magic to the end of the optional fields; the first sub-element starts here. */
  headerLength: number;
  fieldControl: number;
  manufacturerCode: number;
  imageType: number;
  /** The firmware version a hub reports after running this image. */
  fileVersion: number;
  zigbeeStackVersion: number;
  /** Free text, NUL padding removed. */
  headerString: string;
  /** Whole file size, header included, as the header claims it. */
  totalImageSize: number;
  securityCredentialVersion?: number;
  /** IEEE address the image is meant for, most significant octet first (the file stores it reversed). */
  upgradeFileDestination?: DeviceId;
  /** Inclusive hardware version bounds; the spec puts both or neither in the header. */
  hardwareMin?: number;
  hardwareMax?: number;
}

/** What {@link encodeOtaHeader} needs: the header minus what follows from the optional fields. */
export type OtaHeaderFields = Omit<OtaHeader, 'headerLength' | 'fieldControl'>;

function invalid(message: string, offset: number): FlashdError {
  return new FlashdError('OTA_HEADER_INVALID', `${message} (at offset ${offset})`, { details: { offset } });
}

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
}

/** Header length that a field-control value implies, or undefined for bits this parser cannot size. */
export function otaHeaderLengthFor(fieldControl: number): number | undefined {
  if ((fieldControl & ~KNOWN_FIELD_BITS) !== 0) return undefined;
  return (
    OTA_BASE_HEADER_BYTES +
    (fieldControl & OTA_FIELD_SECURITY_CREDENTIAL ? 1 : 0) +
    (fieldControl & OTA_FIELD_DESTINATION ? 8 : 0) +
    (fieldControl & OTA_FIELD_HARDWARE_VERSIONS ? 4 : 0)
  );
}

/**
 * Parses the OTA file header at the start of `buf`. Refuses anything it cannot trust to locate the
 * image that follows: a short buffer, a wrong magic, field-control bits it cannot size, a header
 * length other than the one the field control implies, or a total size smaller than the header.
 */
export function parseOtaHeader(buf: Uint8Array): OtaHeader {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < OTA_BASE_HEADER_BYTES) {
    throw invalid(`an OTA header needs at least ${OTA_BASE_HEADER_BYTES} bytes, got ${buf.length}`, buf.length);
  }
  const magic = view.getUint32(0, true);
  if (magic !== OTA_MAGIC) throw invalid(`magic is ${hex(magic, 8)}, expected ${hex(OTA_MAGIC, 8)}`, 0);
  const headerLength = view.getUint16(6, true);
  const fieldControl = view.getUint16(8, true);
  const expectedLength = otaHeaderLengthFor(fieldControl);
  if (expectedLength === undefined) {
    throw invalid(`field control ${hex(fieldControl, 4)} sets bits this parser does not know`, 8);
  }
  if (headerLength !== expectedLength) {
    throw invalid(`header length is ${headerLength} but field control ${hex(fieldControl, 4)} implies ${expectedLength}`, 6);
  }
  if (buf.length < headerLength) throw invalid(`header length is ${headerLength} but only ${buf.length} bytes are present`, buf.length);
  const totalImageSize = view.getUint32(52, true);
  if (totalImageSize < headerLength) {
    throw invalid(`total image size ${totalImageSize} is smaller than the header length ${headerLength}`, 52);
  }
  const rawString = Buffer.from(buf.buffer, buf.byteOffset + 20, OTA_HEADER_STRING_BYTES).toString('latin1');
  const nul = rawString.indexOf('\0');
  const header: OtaHeader = {
    headerVersion: view.getUint16(4, true),
    headerLength,
    fieldControl,
    manufacturerCode: view.getUint16(10, true),
    imageType: view.getUint16(12, true),
    fileVersion: view.getUint32(14, true),
    zigbeeStackVersion: view.getUint16(18, true),
    headerString: nul === -1 ? rawString : rawString.slice(0, nul),
    totalImageSize,
  };
  let offset = OTA_BASE_HEADER_BYTES;
  if (fieldControl & OTA_FIELD_SECURITY_CREDENTIAL) {
    header.securityCredentialVersion = view.getUint8(offset);
    offset += 1;
  }
  if (fieldControl & OTA_FIELD_DESTINATION) {
    header.upgradeFileDestination = deviceIdFromBytes(buf.slice(offset, offset + 8).reverse());
    offset += 8;
  }
  if (fieldControl & OTA_FIELD_HARDWARE_VERSIONS) {
    header.hardwareMin = view.getUint16(offset, true);
    header.hardwareMax = view.getUint16(offset + 2, true);
  }
  return header;
}

function checkUint(name: string, value: number, bits: 8 | 16 | 32): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw new RangeError(`${name} must be an unsigned ${bits}-bit integer, got ${value}`);
}

/**
 * Encodes a header; field control and header length follow from which optional fields are set, so
 * the result always parses back. Used by the image generator and by tests that forge bad headers.
 */
export function encodeOtaHeader(fields: OtaHeaderFields): Buffer {
  const stringBytes = Buffer.from(fields.headerString, 'latin1');
  const ascii = [...fields.headerString].every((c) => c.charCodeAt(0) >= 0x01 && c.charCodeAt(0) <= 0x7f);
  if (stringBytes.length > OTA_HEADER_STRING_BYTES || !ascii) {
    throw new RangeError(`header string must be at most ${OTA_HEADER_STRING_BYTES} ASCII characters without NUL, got ${JSON.stringify(fields.headerString)}`);
  }
  if ((fields.hardwareMin === undefined) !== (fields.hardwareMax === undefined)) {
    throw new RangeError('hardwareMin and hardwareMax must be given together');
  }
  const fieldControl =
    (fields.securityCredentialVersion !== undefined ? OTA_FIELD_SECURITY_CREDENTIAL : 0) |
    (fields.upgradeFileDestination !== undefined ? OTA_FIELD_DESTINATION : 0) |
    (fields.hardwareMin !== undefined ? OTA_FIELD_HARDWARE_VERSIONS : 0);
  const headerLength = otaHeaderLengthFor(fieldControl) ?? OTA_BASE_HEADER_BYTES;
  checkUint('headerVersion', fields.headerVersion, 16);
  checkUint('manufacturerCode', fields.manufacturerCode, 16);
  checkUint('imageType', fields.imageType, 16);
  checkUint('fileVersion', fields.fileVersion, 32);
  checkUint('zigbeeStackVersion', fields.zigbeeStackVersion, 16);
  checkUint('totalImageSize', fields.totalImageSize, 32);
  if (fields.totalImageSize < headerLength) throw new RangeError(`totalImageSize ${fields.totalImageSize} is smaller than the header (${headerLength} bytes)`);

  const out = Buffer.alloc(headerLength);
  out.writeUInt32LE(OTA_MAGIC, 0);
  out.writeUInt16LE(fields.headerVersion, 4);
  out.writeUInt16LE(headerLength, 6);
  out.writeUInt16LE(fieldControl, 8);
  out.writeUInt16LE(fields.manufacturerCode, 10);
  out.writeUInt16LE(fields.imageType, 12);
  out.writeUInt32LE(fields.fileVersion, 14);
  out.writeUInt16LE(fields.zigbeeStackVersion, 18);
  stringBytes.copy(out, 20);
  out.writeUInt32LE(fields.totalImageSize, 52);
  let offset = OTA_BASE_HEADER_BYTES;
  if (fields.securityCredentialVersion !== undefined) {
    checkUint('securityCredentialVersion', fields.securityCredentialVersion, 8);
    out.writeUInt8(fields.securityCredentialVersion, offset);
    offset += 1;
  }
  if (fields.upgradeFileDestination !== undefined) {
    if (!isDeviceId(fields.upgradeFileDestination))
      throw new RangeError(`upgradeFileDestination must be a Device ID, got ${JSON.stringify(fields.upgradeFileDestination)}`);
    deviceIdToBytes(fields.upgradeFileDestination).reverse().copy(out, offset);
    offset += 8;
  }
  if (fields.hardwareMin !== undefined && fields.hardwareMax !== undefined) {
    checkUint('hardwareMin', fields.hardwareMin, 16);
    checkUint('hardwareMax', fields.hardwareMax, 16);
    out.writeUInt16LE(fields.hardwareMin, offset);
    out.writeUInt16LE(fields.hardwareMax, offset + 2);
  }
  return out;
}
