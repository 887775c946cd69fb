import { FlashdError } from '../domain/errors.js';
import type { Frame } from '../link/frame.js';

/** Hub link message types (docs/protocol.md §2.3). A reply's type is its request's type | 0x80. */
export const MSG = {
  IDENTIFY: 0x01,
  IDENTITY: 0x81,
  UNLOCK_CHALLENGE: 0x02,
  CHALLENGE: 0x82,
  UNLOCK: 0x03,
  UNLOCKED: 0x83,
  BEGIN: 0x04,
  READY: 0x84,
  DATA: 0x05,
  ACK: 0x85,
  FINISH: 0x06,
  VERIFIED: 0x86,
  ACTIVATE: 0x07,
  ACTIVATING: 0x87,
  SET_BAUD: 0x08,
  BAUD: 0x88,
  READ_VERSION: 0x09,
  VERSION: 0x89,
  ERROR: 0xff,
} as const;

export const HUB_PROTOCOL_VERSION = 1;

/** Flags in IDENTITY. */
export const IDENTITY_LOCKED = 0x01;
export const IDENTITY_DEFLATE = 0x02;
export const IDENTITY_IMAGE_HELD = 0x04;
/**
 * Flag in IDENTITY: the hub keeps blocks that arrive after a gap (within twice the window), so a
 * host need only resend the missing block. A version 1 host ignores it and goes back N, which such
 * a hub also serves.
 */
export const IDENTITY_SELECTIVE = 0x08;
/**
 * Flag in IDENTITY (protocol 1.1): the hub inflates a DATA block flagged 0x02 with the up to 32 KiB
 * of image just before the block as the preset dictionary (it already holds those bytes). A 1.0
 * host never sets DATA flag 0x02, so such a hub serves it unchanged.
 */
export const IDENTITY_DEFLATE_DICTIONARY = 0x10;
/** Flag in BEGIN: drop any held partial image and start from offset 0. */
export const BEGIN_DISCARD = 0x01;
/** Flag in DATA: the block is raw-deflated. */
export const DATA_DEFLATED = 0x01;
/** Flag in DATA (protocol 1.1): raw deflate with the preceding image bytes as preset dictionary. */
export const DATA_DEFLATED_DICTIONARY = 0x02;
/** How much preceding image a dictionary block may refer to: deflate's whole window. */
export const DICTIONARY_BYTES = 32 * 1024;
/** Flag in ACK: the hub saw a gap after this offset and asks for a resend from it. */
export const ACK_GAP = 0x01;

export interface IdentityPayload {
  protocolVersion: number;
  deviceId: Buffer;
  gpfDeviceId: Buffer;
  manufacturer: number;
  model: number;
  hardwareVersion: number;
  firmwareVersion: number;
  flags: number;
  maxBlockBytes: number;
  maxWindow: number;
  maxBaudRate: number;
}

export type HubMessage =
  | { kind: 'IDENTIFY' }
  | ({ kind: 'IDENTITY' } & IdentityPayload)
  | { kind: 'UNLOCK_CHALLENGE' }
  | { kind: 'CHALLENGE'; nonce: Buffer }
  | { kind: 'UNLOCK'; mac: Buffer }
  | { kind: 'UNLOCKED' }
  | { kind: 'BEGIN'; sha256: Buffer; imageSize: number; blockBytes: number; window: number; flags: number }
  | { kind: 'READY'; resumeOffset: number; prefixSha256: Buffer }
  | { kind: 'DATA'; offset: number; flags: number; data: Buffer }
  | { kind: 'ACK'; offset: number; flags: number }
  | { kind: 'FINISH' }
  | { kind: 'VERIFIED'; sha256: Buffer }
  | { kind: 'ACTIVATE' }
  | { kind: 'ACTIVATING'; rebootMs: number }
  | { kind: 'SET_BAUD'; baudRate: number }
  | { kind: 'BAUD'; baudRate: number }
  | { kind: 'READ_VERSION' }
  | { kind: 'VERSION'; firmwareVersion: number }
  | { kind: 'ERROR'; status: number; message: string };

export type HubMessageKind = HubMessage['kind'];
export type MessageOf<K extends HubMessageKind> = Extract<HubMessage, { kind: K }>;

const IDENTITY_BYTES = 37;

/** Encodes a message into a frame with the given sequence number. */
export function encodeMessage(message: HubMessage, seq: number): Frame {
  return { type: MSG[message.kind], seq, payload: encodePayload(message) };
}

/** Messages with an empty payload. */
const EMPTY_KINDS = ['IDENTIFY', 'UNLOCK_CHALLENGE', 'UNLOCKED', 'FINISH', 'ACTIVATE', 'READ_VERSION'] as const;
type EmptyKind = (typeof EMPTY_KINDS)[number];
const isEmptyKind = (kind: HubMessageKind): kind is EmptyKind => (EMPTY_KINDS as readonly string[]).includes(kind);

function encodePayload(m: HubMessage): Buffer {
  if (isEmptyKind(m.kind)) return Buffer.alloc(0);
  switch (m.kind) {
    case 'IDENTITY': {
      const b = Buffer.alloc(IDENTITY_BYTES);
      b[0] = m.protocolVersion;
      fixed(m.deviceId, 8, 'deviceId').copy(b, 1);
      fixed(m.gpfDeviceId, 8, 'gpfDeviceId').copy(b, 9);
      b.writeUInt16LE(m.manufacturer, 17);
      b.writeUInt32LE(m.model, 19);
      b.writeUInt16LE(m.hardwareVersion, 23);
      b.writeUInt32LE(m.firmwareVersion, 25);
      b[29] = m.flags;
      b.writeUInt16LE(m.maxBlockBytes, 30);
      b[32] = m.maxWindow;
      b.writeUInt32LE(m.maxBaudRate, 33);
      return b;
    }
    case 'CHALLENGE':
      return Buffer.from(fixed(m.nonce, 16, 'nonce'));
    case 'UNLOCK':
      return Buffer.from(fixed(m.mac, 32, 'mac'));
    case 'BEGIN': {
      const b = Buffer.alloc(40);
      fixed(m.sha256, 32, 'sha256').copy(b, 0);
      b.writeUInt32LE(m.imageSize, 32);
      b.writeUInt16LE(m.blockBytes, 36);
      b[38] = m.window;
      b[39] = m.flags;
      return b;
    }
    case 'READY': {
      const b = Buffer.alloc(36);
      b.writeUInt32LE(m.resumeOffset, 0);
      fixed(m.prefixSha256, 32, 'prefixSha256').copy(b, 4);
      return b;
    }
    case 'DATA': {
      const b = Buffer.allocUnsafe(5 + m.data.length);
      b.writeUInt32LE(m.offset, 0);
      b[4] = m.flags;
      m.data.copy(b, 5);
      return b;
    }
    case 'ACK': {
      const b = Buffer.alloc(5);
      b.writeUInt32LE(m.offset, 0);
      b[4] = m.flags;
      return b;
    }
    case 'VERIFIED':
      return Buffer.from(fixed(m.sha256, 32, 'sha256'));
    case 'ACTIVATING':
      return u32(m.rebootMs);
    case 'SET_BAUD':
    case 'BAUD':
      return u32(m.baudRate);
    case 'VERSION':
      return u32(m.firmwareVersion);
    case 'ERROR': {
      const text = Buffer.from(m.message, 'utf8');
      const b = Buffer.alloc(2 + text.length);
      b.writeUInt16LE(m.status, 0);
      text.copy(b, 2);
      return b;
    }
  }
}

const KIND_BY_TYPE = new Map<number, HubMessageKind>(Object.entries(MSG).map(([kind, type]) => [type, kind as HubMessageKind]));

/** Decodes a frame into a message; a wrong length or unknown type is a HUB_PROTOCOL error. */
export function decodeMessage(frame: Frame): HubMessage {
  const kind = KIND_BY_TYPE.get(frame.type);
  if (!kind) throw protocolError(`unknown message type 0x${frame.type.toString(16).padStart(2, '0')}`);
  const p = frame.payload;
  const need = (n: number): void => {
    if (p.length !== n) throw protocolError(`${kind} payload must be ${n} bytes, got ${p.length}`);
  };
  if (isEmptyKind(kind)) {
    need(0);
    return { kind };
  }
  switch (kind) {
    case 'IDENTITY':
      need(IDENTITY_BYTES);
      return {
        kind,
        protocolVersion: p[0]!,
        deviceId: Buffer.from(p.subarray(1, 9)),
        gpfDeviceId: Buffer.from(p.subarray(9, 17)),
        manufacturer: p.readUInt16LE(17),
        model: p.readUInt32LE(19),
        hardwareVersion: p.readUInt16LE(23),
        firmwareVersion: p.readUInt32LE(25),
        flags: p[29]!,
        maxBlockBytes: p.readUInt16LE(30),
        maxWindow: p[32]!,
        maxBaudRate: p.readUInt32LE(33),
      };
    case 'CHALLENGE':
      need(16);
      return { kind, nonce: Buffer.from(p) };
    case 'UNLOCK':
      need(32);
      return { kind, mac: Buffer.from(p) };
    case 'BEGIN':
      need(40);
      return { kind, sha256: Buffer.from(p.subarray(0, 32)), imageSize: p.readUInt32LE(32), blockBytes: p.readUInt16LE(36), window: p[38]!, flags: p[39]! };
    case 'READY':
      need(36);
      return { kind, resumeOffset: p.readUInt32LE(0), prefixSha256: Buffer.from(p.subarray(4, 36)) };
    case 'DATA':
      if (p.length < 5) throw protocolError(`DATA payload must be at least 5 bytes, got ${p.length}`);
      return { kind, offset: p.readUInt32LE(0), flags: p[4]!, data: p.subarray(5) };
    case 'ACK':
      need(5);
      return { kind, offset: p.readUInt32LE(0), flags: p[4]! };
    case 'VERIFIED':
      need(32);
      return { kind, sha256: Buffer.from(p) };
    case 'ACTIVATING':
      need(4);
      return { kind, rebootMs: p.readUInt32LE(0) };
    case 'SET_BAUD':
    case 'BAUD':
      need(4);
      return { kind, baudRate: p.readUInt32LE(0) };
    case 'VERSION':
      need(4);
      return { kind, firmwareVersion: p.readUInt32LE(0) };
    case 'ERROR':
      if (p.length < 2) throw protocolError(`ERROR payload must be at least 2 bytes, got ${p.length}`);
      return { kind, status: p.readUInt16LE(0), message: p.subarray(2).toString('utf8') };
  }
}

function fixed(b: Buffer, n: number, name: string): Buffer {
  if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${b.length}`);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

function protocolError(message: string): FlashdError {
  return new FlashdError('HUB_PROTOCOL', message);
}
