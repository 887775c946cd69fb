import { FlashdError } from '../domain/errors.js';
import { cobsDecode, cobsEncode } from './cobs.js';
import { crc32 } from './crc32.js';

/**
 * A hub link frame before stuffing: type (u8), sequence (u16 LE), payload, CRC-32 (u32 LE) of
 * everything before it. On the wire it is COBS-encoded and followed by one 0x00 delimiter.
 * See docs/protocol.md §2.
 */
export interface Frame {
  type: number;
  seq: number;
  payload: Buffer;
}

export const FRAME_HEADER_BYTES = 3;
export const FRAME_CRC_BYTES = 4;
/** Largest decoded frame a parser accepts by default: a 4 KiB block with room to spare. */
export const DEFAULT_MAX_FRAME_BYTES = 8192;
export const FRAME_DELIMITER = 0x00;

/** Wire bytes for a frame, delimiter included. */
export function encodeFrame(frame: Frame): Buffer {
  if (!Number.isInteger(frame.type) || frame.type < 0 || frame.type > 0xff) throw new RangeError(`frame type out of range: ${frame.type}`);
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq > 0xffff) throw new RangeError(`frame seq out of range: ${frame.seq}`);
  const raw = Buffer.allocUnsafe(FRAME_HEADER_BYTES + frame.payload.length + FRAME_CRC_BYTES);
  raw[0] = frame.type;
  raw.writeUInt16LE(frame.seq, 1);
  frame.payload.copy(raw, FRAME_HEADER_BYTES);
  const bodyEnd = FRAME_HEADER_BYTES + frame.payload.length;
  raw.writeUInt32LE(crc32(raw.subarray(0, bodyEnd)), bodyEnd);
  return cobsEncode(raw, true);
}

/**
 * Decodes the bytes between two delimiters. Throws FRAME_MALFORMED (bad stuffing, too short) or
 * FRAME_CRC; the parser counts these and drops the frame.
 */
export function decodeFrame(stuffed: Uint8Array): Frame {
  const raw = cobsDecode(stuffed);
  if (!raw) throw new FlashdError('FRAME_MALFORMED', 'frame has invalid COBS stuffing');
  if (raw.length < FRAME_HEADER_BYTES + FRAME_CRC_BYTES) {
    throw new FlashdError('FRAME_MALFORMED', `frame of ${raw.length} bytes is shorter than header and CRC`);
  }
  const bodyEnd = raw.length - FRAME_CRC_BYTES;
  const expected = raw.readUInt32LE(bodyEnd);
  const actual = crc32(raw.subarray(0, bodyEnd));
  if (expected !== actual) {
    throw new FlashdError('FRAME_CRC', `frame CRC-32 ${hex32(actual)} does not match ${hex32(expected)}`);
  }
  return { type: raw[0]!, seq: raw.readUInt16LE(1), payload: raw.subarray(FRAME_HEADER_BYTES, bodyEnd) };
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
