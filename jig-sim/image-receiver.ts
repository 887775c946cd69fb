import { inflateRawSync } from 'node:zlib';
import { encodeFrame, type Frame } from '../src/link/frame.js';
import { ACK_GAP, DATA_DEFLATED, decodeMessage, encodeMessage, type MessageOf } from '../src/session/hub-messages.js';
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
  #queue: Array<{ offset: number; data: Buffer }> = [];
  #ackedTo: number;
  #lastDataSeq = 0;
  #gapReportedAt = -1;
  /** A gap waits to be reported until flash catches up (a report acknowledges everything before it). */
  #gapPending = false;
  /** Selective resend: blocks received after a gap, by offset, until the gap is filled. */
  readonly #held = new Map<number, Buffer>();
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
      this.#reportGap(selective);
      return;
    }
    const data = inflateBlock(message, Math.min(this.#blockBytes, held.sizeBytes - message.offset));
    if (!data) {
      // A block that does not decode to its size is treated like a corrupt frame: ask again.
      this.#reportGap(selective);
      return;
    }
    if (ahead) {
      this.#held.set(message.offset, data);
      this.#reportGap(selective);
      return;
    }
    this.#queue.push({ offset: message.offset, data });
    this.#expected += data.length;
    for (let next = this.#held.get(this.#expected); next; next = this.#held.get(this.#expected)) {
      this.#held.delete(this.#expected);
      this.#queue.push({ offset: this.#expected, data: next });
      this.#expected += next.length;
    }
    this.#gapReportedAt = -1;
    this.#gapPending = false;
    if (!this.#hooks.onProgress(this.#expected)) return;
    // Blocks still held beyond the new expected offset: the block there was lost, not late.
    if (this.#held.size > 0) this.#reportGap(selective);
    else this.#maybeAck();
    this.#pumpWrites();
  }

  /** Go-back-N: one gap report per offset. Selective: report each time; the host paces its resends. */
  #reportGap(selective: boolean): void {
    if (!selective && this.#gapReportedAt === this.#expected) return;
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
    const costMs = newSectors * p.eraseMsPerSector + (block.data.length / p.writeBytesPerSecond) * 1000;
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

/** The block's bytes, inflated if it came deflated; undefined unless that gives exactly `rawBytes`. */
function inflateBlock(message: MessageOf<'DATA'>, rawBytes: number): Buffer | undefined {
  try {
    const data = (message.flags & DATA_DEFLATED) !== 0 ? inflateRawSync(message.data, { maxOutputLength: rawBytes + 1 }) : Buffer.from(message.data);
    return data.length === rawBytes ? data : undefined;
  } catch {
    return undefined;
  }
}
