import { inflateRawSync } from 'node:zlib';
import { encodeFrame, type Frame } from '../src/link/frame.js';
import {
  ACK_GAP,
  DATA_DEFLATED,
  DATA_DEFLATED_DICTIONARY,
  DICTIONARY_BYTES,
  decodeMessage,
  encodeMessage,
  type MessageOf,
} from '../src/session/hub-messages.js';
import { HUB_STATUS } from '../src/session/hub-status.js';
import type { VirtualHub } from './virtual-hub.js';

/** What the receiver needs from its responder: the line, RAM-scoped timers, and a phase hook. */
export interface ReceiverHooks {
  transmit(bytes: Buffer): void;
  /** A timer that dies with power (the responder clears them at power-off). */
  after(ms: number, fn: () => void): void;
  /** A block was accepted up to `offset`; false when the hub stopped (powered off or hung) meanwhile. */
  onProgress(offset: number): boolean;
}

/** A program operation that failed: the hub stops acknowledging and reports it. */
export interface WriteFailure {
  sector: number;
  offset: number;
}

/**
 * The transfer half of a hub's bootloader: takes DATA frames, acknowledges a block once it is
 * buffered (at most `window` blocks waiting for flash, then the ACK holds back), and programs
 * flash behind the link at the profile's erase and write rates. Only programmed blocks count as
 * committed; buffered ones are RAM and die with the responder. A bad sector fails its program:
 * the hub sends an unsolicited ERROR FLASH_WRITE_FAILED, drops its buffers and acknowledges nothing more.
 */
export class ImageReceiver {
  readonly #hub: VirtualHub;
  readonly #hooks: ReceiverHooks;
  readonly #blockBytes: number;
  readonly #window: number;
  /** Next image offset the hub expects. */
  #expected: number;
  #queue: Array<{ offset: number; data: Buffer; inflated: boolean }> = [];
  /** The image bytes just before `#expected` (up to 32 KiB): a protocol 1.1 block's dictionary. */
  #history: Buffer;
  #ackedTo: number;
  #lastDataSeq = 0;
  #gapReportedAt = -1;
  /** Go-back-N: the offset of the last block that arrived beyond the gap; a block at or below it means the host went back. */
  #lastAhead = -1;
  /** A gap waits to be reported until flash catches up (a report acknowledges everything before it). */
  #gapPending = false;
  /**
   * Selective resend: blocks received after a gap, by offset, until the gap is filled. Kept as
   * they came: a dictionary block can only be inflated once the bytes before it are in.
   */
  readonly #held = new Map<number, { flags: number; data: Buffer }>();
  #writing = false;
  #flashBusyUntil = 0;
  #waiters: Array<() => void> = [];
  failure: WriteFailure | undefined;

  constructor(hub: VirtualHub, params: { blockBytes: number; window: number; startOffset: number }, hooks: ReceiverHooks) {
    this.#hub = hub;
    this.#hooks = hooks;
    this.#blockBytes = params.blockBytes;
    this.#window = params.window;
    this.#expected = params.startOffset;
    this.#ackedTo = params.startOffset;
    // A resumed transfer's dictionary is the committed prefix the hub reads back from its flash.
    this.#history = Buffer.from(hub.flash.subarray(Math.max(0, params.startOffset - DICTIONARY_BYTES), params.startOffset));
  }

  /** Blocks wait for flash, or one is being programmed. */
  get busy(): boolean {
    return this.#writing || this.#queue.length > 0;
  }

  onData(frame: Frame): void {
    const held = this.#hub.held;
    if (!held || this.failure) return;
    let message: MessageOf<'DATA'>;
    try {
      message = decodeMessage(frame) as MessageOf<'DATA'>;
    } catch {
      return;
    }
    this.#lastDataSeq = frame.seq;
    if (message.offset < this.#expected) {
      this.#sendAck(0); // a duplicate: repeat where we are so the host moves on
      return;
    }
    const selective = this.#hub.profile.selectiveResend === true;
    const aligned = (message.offset - this.#expected) % this.#blockBytes === 0 && message.offset < held.sizeBytes;
    const ahead = message.offset > this.#expected;
    if (!aligned || this.#queue.length + this.#held.size >= 2 * this.#window || (ahead && (!selective || this.#held.has(message.offset)))) {
      this.#reportGap(selective, message.offset);
      return;
    }
    if (ahead) {
      this.#held.set(message.offset, { flags: message.flags, data: Buffer.from(message.data) });
      this.#reportGap(selective, message.offset);
      return;
    }
    if (!this.#accept(message)) {
      // A block that does not decode to its size is treated like a corrupt frame: ask again.
      this.#reportGap(selective, message.offset);
      return;
    }
    for (let next = this.#held.get(this.#expected); next; next = this.#held.get(this.#expected)) {
      this.#held.delete(this.#expected);
      if (!this.#accept(next)) break;
    }
    this.#gapReportedAt = -1;
    this.#lastAhead = -1;
    this.#gapPending = false;
    if (!this.#hooks.onProgress(this.#expected)) return;
    // Blocks still held beyond the new expected offset: the block there was lost, not late.
    if (this.#held.size > 0) this.#reportGap(selective, this.#expected);
    else this.#maybeAck();
    this.#pumpWrites();
  }

  /** Decodes the block at `#expected` and queues it for flash; false if it does not decode to its size. */
  #accept(block: { flags: number; data: Uint8Array }): boolean {
    const held = this.#hub.held;
    if (!held) return false;
    const rawBytes = Math.min(this.#blockBytes, held.sizeBytes - this.#expected);
    const dictionary = this.#hub.profile.deflate && this.#hub.profile.deflateDictionary === true ? this.#history : undefined;
    const data = inflateBlock(block, rawBytes, dictionary);
    if (!data) return false;
    this.#queue.push({ offset: this.#expected, data, inflated: (block.flags & (DATA_DEFLATED | DATA_DEFLATED_DICTIONARY)) !== 0 });
    this.#expected += data.length;
    const history = Buffer.concat([this.#history, data]);
    this.#history = history.length > DICTIONARY_BYTES ? history.subarray(history.length - DICTIONARY_BYTES) : history;
    return true;
  }

  /**
   * Go-back-N: one gap report per pass of the host over the gap. A block beyond the gap at or below
   * the last such block means the host went back and its resend of the missing block was lost as
   * well (a noisy line): report again, as a receiver's repeated NAK does, rather than stay silent
   * until the host's ACK timeout. Selective: report each time; the host paces its resends.
   */
  #reportGap(selective: boolean, offset: number): void {
    if (!selective) {
      const hostWentBack = offset <= this.#lastAhead;
      this.#lastAhead = offset;
      if (this.#gapReportedAt === this.#expected && !hostWentBack) return;
    }
    this.#gapPending = true;
    this.#maybeAck();
  }

  /** Resolves once every buffered block is programmed (or a program failed). */
  drain(): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Acknowledge everything received while at most `window` blocks wait for flash; past that, hold
   * back, gap reports included (a gap report acknowledges all before it, so sending it early would
   * let the host overrun our buffers). Flash progress calls this again.
   */
  #maybeAck(): void {
    if (this.#queue.length > this.#window) return;
    if (this.#gapPending) {
      this.#gapPending = false;
      this.#gapReportedAt = this.#expected;
      this.#sendAck(ACK_GAP);
    } else if (this.#ackedTo < this.#expected) this.#sendAck(0);
  }

  #sendAck(flags: number): void {
    const offset = this.#queue.length <= this.#window ? this.#expected : this.#ackedTo;
    this.#ackedTo = Math.max(this.#ackedTo, offset);
    this.#hooks.transmit(encodeFrame(encodeMessage({ kind: 'ACK', offset, flags }, this.#lastDataSeq)));
  }

  #pumpWrites(): void {
    if (this.#writing) return;
    const block = this.#queue[0];
    if (!block || this.failure) {
      for (const w of this.#waiters.splice(0)) w();
      return;
    }
    this.#writing = true;
    const p = this.#hub.timing;
    const firstSector = Math.floor(block.offset / p.sectorBytes);
    const lastSector = Math.floor((block.offset + block.data.length - 1) / p.sectorBytes);
    const newSectors = block.offset % p.sectorBytes === 0 ? lastSector - firstSector + 1 : lastSector - firstSector;
    const inflateMs = block.inflated ? (block.data.length / (p.inflateBytesPerSecond ?? Number.POSITIVE_INFINITY)) * 1000 : 0;
    const costMs = inflateMs + newSectors * p.eraseMsPerSector + (block.data.length / p.writeBytesPerSecond) * 1000;
    const now = performance.now();
    this.#flashBusyUntil = Math.max(now, this.#flashBusyUntil) + costMs;
    this.#hooks.after(this.#flashBusyUntil - now, () => {
      this.#writing = false;
      const held = this.#hub.held;
      if (!held) return;
      const bad = this.#badSector(firstSector, lastSector);
      if (bad !== undefined) {
        this.#fail(bad, block.offset);
        return;
      }
      this.#queue.shift();
      block.data.copy(this.#hub.flash, block.offset);
      this.#weaken(block.offset, block.data.length);
      held.committedBytes = block.offset + block.data.length;
      this.#maybeAck();
      this.#pumpWrites();
    });
  }

  #badSector(first: number, last: number): number | undefined {
    const bad = this.#hub.defects.badSectors;
    for (let s = first; s <= last; s++) {
      const left = bad.get(s) ?? 0;
      if (left > 0) {
        bad.set(s, left - 1);
        return s;
      }
    }
    return undefined;
  }

  #weaken(offset: number, length: number): void {
    for (const [at, left] of this.#hub.defects.weakBytes) {
      if (left > 0 && at >= offset && at < offset + length) {
        this.#hub.flash[at]! ^= 0x01;
        this.#hub.defects.weakBytes.set(at, left - 1);
      }
    }
  }

  #fail(sector: number, offset: number): void {
    this.failure = { sector, offset };
    this.#queue = [];
    const text = `flash program failed in sector ${sector} at offset ${offset}`;
    this.#hooks.transmit(encodeFrame(encodeMessage({ kind: 'ERROR', status: HUB_STATUS.FLASH_WRITE_FAILED, message: text }, this.#lastDataSeq)));
    for (const w of this.#waiters.splice(0)) w();
  }
}

/**
 * The block's bytes, inflated if it came deflated (flag 0x02: with `dictionary`, the image before
 * it, which a 1.0 hub does not have: it refuses such a block); undefined unless that gives exactly
 * `rawBytes`.
 */
export function inflateBlock(block: { flags: number; data: Uint8Array }, rawBytes: number, dictionary: Buffer | undefined): Buffer | undefined {
  try {
    let data: Buffer;
    if ((block.flags & DATA_DEFLATED_DICTIONARY) !== 0) {
      if (!dictionary) return undefined;
      data = inflateRawSync(block.data, { maxOutputLength: rawBytes + 1, ...(dictionary.length > 0 ? { dictionary } : {}) });
    } else if ((block.flags & DATA_DEFLATED) !== 0) data = inflateRawSync(block.data, { maxOutputLength: rawBytes + 1 });
    else data = Buffer.from(block.data);
    return data.length === rawBytes ? data : undefined;
  } catch {
    return undefined;
  }
}
