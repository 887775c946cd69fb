import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Frame } from '../../../src/link/frame.js';
import { FrameParser } from '../../../src/link/frame-parser.js';

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  seq: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

function feedAll(parser: FrameParser, chunks: Uint8Array[]): Frame[] {
  const out: Frame[] = [];
  for (const chunk of chunks) parser.feed(chunk, (f) => out.push(f));
  return out;
}

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(bytes.subarray(last, p));
    last = p;
  }
  parts.push(bytes.subarray(last));
  return parts;
}

describe('FrameParser', () => {
  it('yields exactly the frames sent, however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map(encodeFrame));
        const got = feedAll(new FrameParser(), split(stream, cuts));
        expect(got.map((f) => [f.type, f.seq, f.payload.toString('hex')])).toEqual(frames.map((f) => [f.type, f.seq, f.payload.toString('hex')]));
      }),
    );
  });

  it('skips garbage before a frame and counts what it dropped', () => {
    const parser = new FrameParser();
    const garbage = Buffer.from([0x13, 0x37, 0xff, 0x00, 0x42, 0x42, 0x42, 0x00]);
    const frame = encodeFrame({ type: 0x81, seq: 9, payload: Buffer.from([1, 2, 3]) });
    const got = feedAll(parser, [garbage, frame]);
    expect(got).toHaveLength(1);
    expect(got[0]!.seq).toBe(9);
    expect(parser.stats.frames).toBe(1);
    expect(parser.stats.crcErrors + parser.stats.malformed).toBe(2);
  });

  it('drops an over-long run and resynchronises at the next delimiter with a bounded buffer', () => {
    const parser = new FrameParser({ maxFrameBytes: 64 });
    const junk = Buffer.alloc(5000, 0x55);
    const frame = encodeFrame({ type: 1, seq: 2, payload: Buffer.alloc(10, 7) });
    const got = feedAll(parser, [junk, junk, Buffer.from([0]), frame]);
    expect(got).toHaveLength(1);
    expect(parser.stats.overflows).toBe(1);
  });

  it('loses at most the frame a garbage burst touches', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 3, maxLength: 6 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (frames, burst, at) => {
        const wires = frames.map(encodeFrame);
        const victim = at % wires.length;
        const spliced = Buffer.concat(
          wires.map((w, i) => (i === victim ? Buffer.concat([w.subarray(0, w.length >> 1), Buffer.from(burst), w.subarray(w.length >> 1)]) : w)),
        );
        const got = feedAll(new FrameParser(), [spliced]);
        // Every frame but the victim (and at most one neighbour the burst's zeros merged into) arrives.
        expect(got.length).toBeGreaterThanOrEqual(frames.length - 2);
        for (const f of got) expect(frames.some((o) => o.seq === f.seq && o.type === f.type && o.payload.equals(f.payload))).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        const parser = new FrameParser({ maxFrameBytes: 128 });
        feedAll(parser, chunks);
      }),
    );
  });

  it('works as a stream Transform', async () => {
    const parser = new FrameParser();
    const frames: Frame[] = [];
    parser.on('data', (f: Frame) => frames.push(f));
    const wire = encodeFrame({ type: 3, seq: 4, payload: Buffer.from('x') });
    parser.write(wire.subarray(0, 3));
    parser.write(wire.subarray(3));
    parser.end();
    await new Promise((r) => parser.on('end', r));
    expect(frames).toHaveLength(1);
  });
});
