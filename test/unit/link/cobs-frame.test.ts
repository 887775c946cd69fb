import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../../../src/link/cobs.js';
import { crc32 } from '../../../src/link/crc32.js';
import { decodeFrame, encodeFrame } from '../../../src/link/frame.js';
import { isFlashdError } from '../../../src/domain/errors.js';

describe('COBS', () => {
  it('round-trips any bytes and never emits 0x00', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const encoded = cobsEncode(bytes);
        expect(encoded.includes(0)).toBe(false);
        expect(encoded.length).toBeLessThanOrEqual(bytes.length + Math.ceil(bytes.length / 254) + 1);
        expect(Buffer.compare(cobsDecode(encoded)!, Buffer.from(bytes))).toBe(0);
      }),
    );
  });

  it('encodes exactly as the byte-by-byte reference algorithm, runs of 254 and trailing zeros included', () => {
    const bytes = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 }), fc.constant(7)), { maxLength: 1200 });
    const run = (length: number, byte: number): number[] => new Array<number>(length).fill(byte);
    const runs = fc.array(fc.oneof(fc.constant(run(1, 0)), fc.constant(run(254, 9)), fc.constant(run(253, 9)), fc.constant(run(255, 9))), { maxLength: 6 });
    fc.assert(
      fc.property(
        fc.oneof(
          bytes,
          runs.map((parts) => parts.flat()),
        ),
        (array) => {
          const input = Uint8Array.from(array);
          expect(cobsEncode(input).toString('hex')).toBe(referenceCobs(input).toString('hex'));
          expect(cobsEncode(input, true).toString('hex')).toBe(`${referenceCobs(input).toString('hex')}00`);
        },
      ),
    );
  });

  it('encodes the textbook examples', () => {
    expect(cobsEncode(Buffer.from([0x00])).toString('hex')).toBe('0101');
    expect(cobsEncode(Buffer.from([0x11, 0x22, 0x00, 0x33])).toString('hex')).toBe('0311220233');
    const run = Buffer.alloc(254, 0x01);
    expect(cobsEncode(run).toString('hex')).toBe(`ff${'01'.repeat(254)}`);
  });

  it('refuses blocks whose code bytes overrun or contain 0x00', () => {
    expect(cobsDecode(Buffer.from([0x05, 0x11]))).toBeUndefined();
    expect(cobsDecode(Buffer.from([0x03, 0x11, 0x00]))).toBeUndefined();
    expect(cobsDecode(Buffer.from([0x00]))).toBeUndefined();
  });
});

describe('CRC-32', () => {
  it('matches the CRC-32/ISO-HDLC check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('frame', () => {
  it('round-trips type, seq and payload', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 600 }), (type, seq, payload) => {
        const wire = encodeFrame({ type, seq, payload: Buffer.from(payload) });
        expect(wire[wire.length - 1]).toBe(0);
        const frame = decodeFrame(wire.subarray(0, -1));
        expect(frame.type).toBe(type);
        expect(frame.seq).toBe(seq);
        expect(Buffer.compare(frame.payload, Buffer.from(payload))).toBe(0);
      }),
    );
  });

  it('refuses a frame with any single bit flipped', () => {
    const wire = encodeFrame({ type: 0x05, seq: 7, payload: Buffer.from('hello, hub') }).subarray(0, -1);
    for (let bit = 0; bit < wire.length * 8; bit++) {
      const copy = Buffer.from(wire);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      if (copy.includes(0)) continue; // would have split the frame at the delimiter instead
      expect(() => decodeFrame(copy), `bit ${bit}`).toThrow();
    }
  });

  it('names the cause: CRC or malformed', () => {
    const wire = encodeFrame({ type: 1, seq: 1, payload: Buffer.alloc(0) }).subarray(0, -1);
    const corrupt = Buffer.from(wire);
    corrupt[corrupt.length - 1]! ^= 0x40;
    try {
      decodeFrame(corrupt);
      expect.unreachable();
    } catch (err) {
      expect(isFlashdError(err, 'FRAME_CRC')).toBe(true);
    }
    try {
      decodeFrame(Buffer.from([0x02, 0x01]));
      expect.unreachable();
    } catch (err) {
      expect(isFlashdError(err, 'FRAME_MALFORMED')).toBe(true);
    }
  });

  it('refuses out-of-range header fields at encode time', () => {
    expect(() => encodeFrame({ type: 256, seq: 0, payload: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => encodeFrame({ type: 0, seq: 65536, payload: Buffer.alloc(0) })).toThrow(RangeError);
  });
});

/** The plain byte-at-a-time COBS encoder (minimal: no code byte after a final full run). */
function referenceCobs(input: Uint8Array): Buffer {
  const out: number[] = [0];
  let codeIndex = 0;
  let code = 1;
  for (let i = 0; i < input.length; i++) {
    if (input[i] === 0) {
      out[codeIndex] = code;
      codeIndex = out.push(0) - 1;
      code = 1;
      continue;
    }
    out.push(input[i]!);
    if (++code === 0xff) {
      out[codeIndex] = code;
      if (i === input.length - 1) return Buffer.from(out);
      codeIndex = out.push(0) - 1;
      code = 1;
    }
  }
  out[codeIndex] = code;
  return Buffer.from(out);
}
