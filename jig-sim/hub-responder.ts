import { createHash, timingSafeEqual } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { deviceIdToBytes, firmwareVersionFromNumber, firmwareVersionToNumber } from '../src/domain/identifiers.js';
import { parseOtaHeader } from '../src/images/index.js';
import { encodeFrame, type Frame } from '../src/link/frame.js';
import { FrameParser } from '../src/link/frame-parser.js';
import {
  ACK_GAP,
  BEGIN_DISCARD,
  DATA_DEFLATED,
  HUB_PROTOCOL_VERSION,
  HUB_STATUS,
  IDENTITY_DEFLATE,
  IDENTITY_IMAGE_HELD,
  IDENTITY_LOCKED,
  IDENTITY_SELECTIVE,
  MSG,
  decodeMessage,
  deriveHubKey,
  encodeMessage,
  unlockResponse,
  type HubMessage,
  type MessageOf,
} from '../src/session/index.js';
import { HubUart } from './hub-uart.js';
import type { VirtualHub } from './virtual-hub.js';

interface ReceiveState {
  blockBytes: number;
  window: number;
  /** Next image offset the hub expects. */
  expected: number;
  /** Blocks received and waiting to be programmed. */
  queue: Array<{ offset: number; data: Buffer }>;
  /** Offset up to which an ACK has been sent. */
  ackedTo: number;
  lastDataSeq: number;
  gapReportedAt: number;
  /** A gap waits to be reported until flash catches up (a report acknowledges everything before it). */
  gapPending: boolean;
  /** Selective resend: blocks received after a gap, by offset, until the gap is filled. */
  held: Map<number, Buffer>;
}

class HubStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A powered hub's bootloader: speaks the hub link protocol (docs/protocol.md §2) over whatever
 * line it is plugged into. It acknowledges a block once buffered and programs flash behind the
 * link, as a real bootloader with two or more receive buffers does. Power loss is `powerOff()`:
 * everything here is RAM and is gone; the {@link VirtualHub} (flash) keeps what was committed.
 */
export class HubResponder {
  readonly hub: VirtualHub;
  readonly #transmit: (bytes: Buffer) => void;
  readonly #parser = new FrameParser();
  #powered = true;
  #booting = false;
  #unlocked = false;
  #nonce: Buffer | undefined;
  #rx: ReceiveState | undefined;
  #writing = false;
  #flashBusyUntil = 0;
  #lastReply: { seq: number; type: number; frame: Buffer } | undefined;
  #inProgress: { seq: number; type: number } | undefined;
  #finishWaiters: Array<() => void> = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #uart: HubUart;

  /**
   * `line.bootBaudRate` is the rate the hub's UART starts at (the line's configured rate, default
   * 115,200); `line.switchLine` moves the simulated line to a new rate once the reply has left.
   */
  constructor(hub: VirtualHub, transmit: (bytes: Buffer) => void, line: { bootBaudRate?: number; switchLine?: (baudRate: number) => Promise<void> | void } = {}) {
    this.hub = hub;
    this.#transmit = transmit;
    this.#uart = new HubUart({
      bootBaudRate: line.bootBaudRate ?? 115_200,
      switchLine: line.switchLine ?? (() => {}),
      busy: () => this.#inProgress !== undefined || this.#writing || (this.#rx?.queue.length ?? 0) > 0,
    });
  }

  /** The rate this hub's UART runs at now. */
  get baudRate(): number {
    return this.#uart.baudRate;
  }

  get unlocked(): boolean {
    return this.#unlocked;
  }

  get parserStats(): FrameParser['stats'] {
    return this.#parser.stats;
  }

  /** Bytes from the line. Ignored while rebooting or unpowered, as a real UART would lose them. */
  receive(chunk: Buffer): void {
    if (!this.#powered || this.#booting) return;
    this.#parser.feed(chunk, (frame) => this.#onFrame(frame));
  }

  /** Cuts power: RAM state and pending timers go; flash content already committed stays. */
  powerOff(): void {
    this.#powered = false;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#rx = undefined;
    this.#unlocked = false;
    this.#nonce = undefined;
    this.#writing = false;
    this.#lastReply = undefined;
    this.#inProgress = undefined;
    this.#finishWaiters = [];
    this.#uart.reset();
  }

  #onFrame(frame: Frame): void {
    this.#uart.heard();
    if (frame.type === MSG.DATA) {
      this.#onData(frame);
      return;
    }
    if (this.#lastReply && this.#lastReply.seq === frame.seq && this.#lastReply.type === frame.type) {
      this.#transmit(this.#lastReply.frame);
      return;
    }
    if (this.#inProgress && this.#inProgress.seq === frame.seq && this.#inProgress.type === frame.type) return;
    let message: HubMessage;
    try {
      message = decodeMessage(frame);
    } catch (err) {
      this.#reply(frame, { kind: 'ERROR', status: HUB_STATUS.BAD_LENGTH, message: (err as Error).message });
      return;
    }
    this.#inProgress = { seq: frame.seq, type: frame.type };
    this.#handle(message).then(
      (reply) => this.#reply(frame, reply),
      (err: unknown) => {
        if (err instanceof HubStatusError) this.#reply(frame, { kind: 'ERROR', status: err.status, message: err.message });
        else if (this.#powered) this.#reply(frame, { kind: 'ERROR', status: HUB_STATUS.BAD_STATE, message: String(err) });
      },
    );
  }

  #reply(request: Frame, reply: HubMessage): void {
    if (!this.#powered) return;
    const wire = encodeFrame(encodeMessage(reply, request.seq));
    this.#inProgress = undefined;
    this.#lastReply = { seq: request.seq, type: request.type, frame: wire };
    this.#transmit(wire);
    this.#uart.heard();
    if (reply.kind === 'ACTIVATING') {
      this.#reboot(reply.rebootMs, true);
      this.#uart.reset();
    }
    // BAUD goes out at the old rate; the UART switches once it has left (docs/protocol.md §2.8).
    if (reply.kind === 'BAUD') this.#uart.switchTo(reply.baudRate);
  }

  async #handle(m: HubMessage): Promise<HubMessage> {
    switch (m.kind) {
      case 'IDENTIFY':
        return this.#identity();
      case 'READ_VERSION':
        return { kind: 'VERSION', firmwareVersion: firmwareVersionToNumber(this.hub.runningVersion) };
      case 'UNLOCK_CHALLENGE':
        this.#nonce = createHash('sha256').update(this.hub.spec.deviceId).update(String(performance.now())).update(String(Math.random())).digest().subarray(0, 16);
        return { kind: 'CHALLENGE', nonce: this.#nonce };
      case 'UNLOCK':
        return this.#unlock(m);
      case 'BEGIN':
        return this.#begin(m);
      case 'FINISH':
        return this.#finish();
      case 'ACTIVATE':
        if (!this.hub.held?.verified) throw new HubStatusError(HUB_STATUS.NOT_VERIFIED, 'no verified image to activate');
        return { kind: 'ACTIVATING', rebootMs: this.hub.profile.rebootMs };
      case 'SET_BAUD':
        if (!HubUart.offers(m.baudRate, this.hub.profile.maxBaudRate)) {
          throw new HubStatusError(HUB_STATUS.BAUD_UNSUPPORTED, `baud ${m.baudRate} not supported`);
        }
        return { kind: 'BAUD', baudRate: m.baudRate };
      default:
        throw new HubStatusError(HUB_STATUS.UNKNOWN_COMMAND, `unexpected ${m.kind}`);
    }
  }

  #identity(): HubMessage {
    const { spec, profile } = this.hub;
    let flags = 0;
    if (!this.#unlocked) flags |= IDENTITY_LOCKED;
    if (profile.deflate) flags |= IDENTITY_DEFLATE;
    if (this.hub.held) flags |= IDENTITY_IMAGE_HELD;
    if (profile.selectiveResend) flags |= IDENTITY_SELECTIVE;
    return {
      kind: 'IDENTITY',
      protocolVersion: HUB_PROTOCOL_VERSION,
      deviceId: deviceIdToBytes(spec.deviceId),
      gpfDeviceId: deviceIdToBytes(spec.gpfDeviceId),
      manufacturer: Number.parseInt(spec.manufacturer, 16),
      model: Number.parseInt(spec.model, 16),
      hardwareVersion: spec.hardwareVersion,
      firmwareVersion: firmwareVersionToNumber(this.hub.runningVersion),
      flags,
      maxBlockBytes: profile.maxBlockBytes,
      maxWindow: profile.maxWindow,
      maxBaudRate: profile.maxBaudRate,
    };
  }

  async #unlock(m: MessageOf<'UNLOCK'>): Promise<HubMessage> {
    const hub = this.hub;
    if (hub.lockedOut) throw new HubStatusError(HUB_STATUS.LOCKED_OUT, 'locked out after too many failed unlocks');
    const nonce = this.#nonce;
    this.#nonce = undefined;
    if (!nonce) throw new HubStatusError(HUB_STATUS.BAD_STATE, 'no challenge outstanding');
    await this.#sleep(hub.profile.unlockMs);
    const chf = deviceIdToBytes(hub.spec.deviceId);
    const expected = unlockResponse(deriveHubKey(hub.spec.masterKey, chf), nonce, chf, deviceIdToBytes(hub.spec.gpfDeviceId));
    if (!timingSafeEqual(expected, m.mac)) {
      hub.failedUnlocks++;
      if (hub.failedUnlocks >= hub.profile.maxUnlockAttempts) hub.lockedOut = true;
      throw new HubStatusError(HUB_STATUS.AUTH_FAILED, `unlock response refused (${hub.failedUnlocks} of ${hub.profile.maxUnlockAttempts})`);
    }
    hub.failedUnlocks = 0;
    this.#unlocked = true;
    return { kind: 'UNLOCKED' };
  }

  async #begin(m: MessageOf<'BEGIN'>): Promise<HubMessage> {
    const hub = this.hub;
    if (!this.#unlocked) throw new HubStatusError(HUB_STATUS.LOCKED, 'unlock first');
    if (m.imageSize === 0 || m.imageSize > hub.flash.length) throw new HubStatusError(HUB_STATUS.IMAGE_TOO_LARGE, `image of ${m.imageSize} bytes does not fit ${hub.flash.length}`);
    if (m.blockBytes === 0 || m.blockBytes > hub.profile.maxBlockBytes) throw new HubStatusError(HUB_STATUS.BAD_PARAMETER, `block of ${m.blockBytes} bytes; at most ${hub.profile.maxBlockBytes}`);
    if (m.window === 0 || m.window > hub.profile.maxWindow) throw new HubStatusError(HUB_STATUS.BAD_PARAMETER, `window of ${m.window}; at most ${hub.profile.maxWindow}`);
    await this.#drainWrites();
    const same = hub.held && hub.held.sha256.equals(m.sha256) && hub.held.sizeBytes === m.imageSize;
    if (!same || (m.flags & BEGIN_DISCARD) !== 0) {
      hub.held = { sha256: Buffer.from(m.sha256), sizeBytes: m.imageSize, committedBytes: 0, verified: false };
    }
    const held = hub.held!;
    const resumeOffset = Math.floor(held.committedBytes / m.blockBytes) * m.blockBytes;
    let prefixSha256: Buffer = Buffer.alloc(32);
    if (resumeOffset > 0) {
      await this.#sleep((resumeOffset / 1_048_576) * hub.profile.hashMsPerMiB);
      prefixSha256 = createHash('sha256').update(hub.flash.subarray(0, resumeOffset)).digest();
    }
    held.committedBytes = resumeOffset;
    held.verified = false;
    this.#rx = { blockBytes: m.blockBytes, window: m.window, expected: resumeOffset, queue: [], ackedTo: resumeOffset, lastDataSeq: 0, gapReportedAt: -1, gapPending: false, held: new Map() };
    return { kind: 'READY', resumeOffset, prefixSha256 };
  }

  #onData(frame: Frame): void {
    const rx = this.#rx;
    const held = this.hub.held;
    if (!rx || !held) return;
    let message: MessageOf<'DATA'>;
    try {
      message = decodeMessage(frame) as MessageOf<'DATA'>;
    } catch {
      return;
    }
    rx.lastDataSeq = frame.seq;
    if (message.offset < rx.expected) {
      this.#sendAck(rx, 0); // a duplicate: repeat where we are so the host moves on
      return;
    }
    const selective = this.hub.profile.selectiveResend === true;
    const aligned = (message.offset - rx.expected) % rx.blockBytes === 0 && message.offset < held.sizeBytes;
    const ahead = message.offset > rx.expected;
    if (!aligned || rx.queue.length + rx.held.size >= 2 * rx.window || (ahead && (!selective || rx.held.has(message.offset)))) {
      this.#reportGap(rx, selective);
      return;
    }
    const data = this.#inflate(message, Math.min(rx.blockBytes, held.sizeBytes - message.offset));
    if (!data) {
      // A block that does not decode to its size is treated like a corrupt frame: ask again.
      this.#reportGap(rx, selective);
      return;
    }
    if (ahead) {
      rx.held.set(message.offset, data);
      this.#reportGap(rx, selective);
      return;
    }
    rx.queue.push({ offset: message.offset, data });
    rx.expected += data.length;
    for (let next = rx.held.get(rx.expected); next; next = rx.held.get(rx.expected)) {
      rx.held.delete(rx.expected);
      rx.queue.push({ offset: rx.expected, data: next });
      rx.expected += next.length;
    }
    rx.gapReportedAt = -1;
    rx.gapPending = false;
    // Blocks still held beyond the new expected offset: the block there was lost, not late.
    if (rx.held.size > 0) this.#reportGap(rx, selective);
    else this.#maybeAck(rx);
    this.#pumpWrites();
  }

  /** Go-back-N: one gap report per offset. Selective: report each time; the host paces its resends. */
  #reportGap(rx: ReceiveState, selective: boolean): void {
    if (!selective && rx.gapReportedAt === rx.expected) return;
    rx.gapPending = true;
    this.#maybeAck(rx);
  }

  #inflate(message: MessageOf<'DATA'>, rawBytes: number): Buffer | undefined {
    try {
      const data = (message.flags & DATA_DEFLATED) !== 0 ? inflateRawSync(message.data, { maxOutputLength: rawBytes + 1 }) : Buffer.from(message.data);
      return data.length === rawBytes ? data : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Acknowledge everything received while at most `window` blocks wait for flash; past that, hold
   * back, gap reports included (a gap report acknowledges all before it, so sending it early would
   * let the host overrun our buffers). Flash progress calls this again.
   */
  #maybeAck(rx: ReceiveState): void {
    if (rx.queue.length > rx.window) return;
    if (rx.gapPending) {
      rx.gapPending = false;
      rx.gapReportedAt = rx.expected;
      this.#sendAck(rx, ACK_GAP);
    } else if (rx.ackedTo < rx.expected) this.#sendAck(rx, 0);
  }

  #sendAck(rx: ReceiveState, flags: number): void {
    const offset = rx.queue.length <= rx.window ? rx.expected : rx.ackedTo;
    rx.ackedTo = Math.max(rx.ackedTo, offset);
    this.#transmit(encodeFrame(encodeMessage({ kind: 'ACK', offset, flags }, rx.lastDataSeq)));
  }

  #pumpWrites(): void {
    if (this.#writing) return;
    const rx = this.#rx;
    const block = rx?.queue[0];
    if (!rx || !block) {
      for (const w of this.#finishWaiters.splice(0)) w();
      return;
    }
    this.#writing = true;
    const p = this.hub.profile;
    const firstSector = Math.floor(block.offset / p.sectorBytes);
    const lastSector = Math.floor((block.offset + block.data.length - 1) / p.sectorBytes);
    const newSectors = block.offset % p.sectorBytes === 0 ? lastSector - firstSector + 1 : lastSector - firstSector;
    const costMs = newSectors * p.eraseMsPerSector + (block.data.length / p.writeBytesPerSecond) * 1000;
    const now = performance.now();
    this.#flashBusyUntil = Math.max(now, this.#flashBusyUntil) + costMs;
    this.#after(this.#flashBusyUntil - now, () => {
      this.#writing = false;
      const held = this.hub.held;
      if (this.#rx !== rx || !held) return;
      rx.queue.shift();
      block.data.copy(this.hub.flash, block.offset);
      held.committedBytes = block.offset + block.data.length;
      this.#maybeAck(rx);
      this.#pumpWrites();
    });
  }

  #drainWrites(): Promise<void> {
    if (!this.#writing && !this.#rx?.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.#finishWaiters.push(resolve));
  }

  async #finish(): Promise<HubMessage> {
    const held = this.hub.held;
    if (!held) throw new HubStatusError(HUB_STATUS.NO_IMAGE, 'no image transfer started');
    await this.#drainWrites();
    if (held.committedBytes < held.sizeBytes) {
      throw new HubStatusError(HUB_STATUS.BAD_STATE, `image incomplete: ${held.committedBytes} of ${held.sizeBytes} bytes`);
    }
    await this.#sleep((held.sizeBytes / 1_048_576) * this.hub.profile.hashMsPerMiB);
    const sha256 = createHash('sha256').update(this.hub.flash.subarray(0, held.sizeBytes)).digest();
    held.verified = sha256.equals(held.sha256);
    this.#rx = undefined;
    return { kind: 'VERIFIED', sha256 };
  }

  /**
   * Reboots: silent until boot completes, then running whatever a verified, activated image's own
   * OTA header says. Input is ignored until the boot is over, as a real bootloader's UART is.
   */
  #reboot(rebootMs: number, activate: boolean): void {
    const hub = this.hub;
    this.#unlocked = false;
    this.#booting = true;
    this.#lastReply = undefined;
    if (activate && hub.held?.verified) hub.pendingActivation = true;
    this.#after(rebootMs, () => this.#boot());
  }

  #boot(): void {
    const hub = this.hub;
    if (hub.pendingActivation && hub.held?.verified) {
      const header = parseOtaHeader(hub.flash.subarray(0, hub.held.sizeBytes));
      hub.runningVersion = firmwareVersionFromNumber(header.fileVersion);
      hub.held = undefined;
      hub.flashCount++;
    }
    hub.pendingActivation = false;
    this.#booting = false;
  }

  /** Power comes back: the hub boots, finishing an activation that a power cut interrupted. */
  powerOn(): void {
    if (this.#powered) return;
    this.#powered = true;
    this.#reboot(this.hub.profile.rebootMs, false);
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#after(ms, resolve));
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, Math.max(0, ms));
    this.#timers.add(timer);
  }
}
