import { inflateRawSync } from 'node:zlib';
import { encodeFrame, type Frame } from '../src/link/frame.js';
import { ACK_GAP, DATA_DEFLATED, HUB_STATUS, decodeMessage, encodeMessage, type MessageOf } from '../src/session/index.js';
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

  /** Highest offset acknowledged so far (tests compare it with what was committed). */
  get ackedTo(): number {
    return this.#ackedTo;
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
    if (message.offset > this.#expected || this.#queue.length >= 2 * this.#window) {
      if (this.#gapReportedAt !== this.#expected) {
        this.#gapReportedAt = this.#expected;
        this.#sendAck(ACK_GAP);
      }
      return;
    }
    const rawBytes = Math.min(this.#blockBytes, held.sizeBytes - message.offset);
    let data: Buffer;
    try {
      data = (message.flags & DATA_DEFLATED) !== 0 ? inflateRawSync(message.data) : Buffer.from(message.data);
    } catch {
      data = Buffer.alloc(0);
    }
    if (data.length !== rawBytes) {
      // A block that does not decode to its size is treated like a corrupt frame: ask again.
      this.#gapReportedAt = this.#expected;
      this.#sendAck(ACK_GAP);
      return;
    }
    this.#queue.push({ offset: message.offset, data });
    this.#expected += rawBytes;
    this.#gapReportedAt = -1;
    if (!this.#hooks.onProgress(this.#expected)) return;
    this.#maybeAck();
    this.#pumpWrites();
  }

  /** Resolves once every buffered block is programmed (or a program failed). */
  drain(): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #maybeAck(): void {
    if (this.#queue.length <= this.#window && this.#ackedTo < this.#expected) this.#sendAck(0);
  }

  #sendAck(flags: number): void {
    const offset = flags & ACK_GAP ? this.#expected : this.#queue.length <= this.#window ? this.#expected : this.#ackedTo;
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
