import { Transform, type TransformCallback } from 'node:stream';
import { isFlashdError } from '../domain/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_DELIMITER, decodeFrame, type Frame } from './frame.js';

/** Counters a parser keeps about what it dropped; a rising count is the first sign of a bad link. */
export interface FrameParserStats {
  frames: number;
  crcErrors: number;
  malformed: number;
  overflows: number;
}

export interface FrameParserOptions {
  /** Largest decoded frame accepted; longer runs are dropped up to the next delimiter. Default 8192. */
  maxFrameBytes?: number;
}

/**
 * Splits a byte stream into hub link frames at 0x00 delimiters and pushes decoded {@link Frame}s.
 * Garbage, bad CRCs and over-long runs are counted and dropped; the parser resynchronises at the
 * next delimiter, so at most the frame a burst touched is lost. Its buffer never exceeds the
 * stuffed size of one maximal frame.
 */
export class FrameParser extends Transform {
  readonly stats: FrameParserStats = { frames: 0, crcErrors: 0, malformed: 0, overflows: 0 };
  readonly #maxStuffedBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #discarding = false;

  constructor(options: FrameParserOptions = {}) {
    super({ readableObjectMode: true });
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 8) throw new RangeError(`maxFrameBytes must be an integer ≥ 8, got ${maxFrameBytes}`);
    this.#maxStuffedBytes = maxFrameBytes + Math.ceil(maxFrameBytes / 254) + 1;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.feed(chunk, (frame) => this.push(frame));
    callback();
  }

  /** Synchronous entry point, for callers that receive bytes outside a stream pipeline. */
  feed(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(FRAME_DELIMITER, start);
      if (end === -1) {
        this.#append(chunk.subarray(start));
        return;
      }
      this.#append(chunk.subarray(start, end));
      this.#completeFrame(onFrame);
      start = end + 1;
    }
  }

  #append(part: Uint8Array): void {
    if (part.length === 0 || this.#discarding) return;
    if (this.#pendingBytes + part.length > this.#maxStuffedBytes) {
      this.stats.overflows++;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#discarding = true;
      return;
    }
    // Copy: the caller may reuse or transfer its buffer after feed() returns.
    this.#pending.push(Buffer.from(part));
    this.#pendingBytes += part.length;
  }

  #completeFrame(onFrame: (frame: Frame) => void): void {
    const wasDiscarding = this.#discarding;
    const bytes = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    const empty = this.#pendingBytes === 0;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discarding = false;
    if (wasDiscarding || empty) return;
    try {
      const frame = decodeFrame(bytes);
      this.stats.frames++;
      onFrame(frame);
    } catch (err) {
      if (isFlashdError(err, 'FRAME_CRC')) this.stats.crcErrors++;
      else if (isFlashdError(err, 'FRAME_MALFORMED')) this.stats.malformed++;
      else throw err;
    }
  }
}
