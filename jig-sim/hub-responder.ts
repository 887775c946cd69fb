import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { deviceIdToBytes, firmwareVersionFromNumber, firmwareVersionToNumber } from '../src/domain/identifiers.js';
import { parseOtaHeader } from '../src/images/ota-header.js';
import { encodeFrame, type Frame } from '../src/link/frame.js';
import { FrameParser } from '../src/link/frame-parser.js';
import {
  BEGIN_DISCARD,
  HUB_PROTOCOL_VERSION,
  IDENTITY_DEFLATE,
  IDENTITY_DEFLATE_DICTIONARY,
  IDENTITY_IMAGE_HELD,
  IDENTITY_LOCKED,
  IDENTITY_SELECTIVE,
  MSG,
  decodeMessage,
  encodeMessage,
  type HubMessage,
  type MessageOf,
} from '../src/session/hub-messages.js';
import { HUB_STATUS } from '../src/session/hub-status.js';
import { deriveHubKey, unlockResponse } from '../src/session/unlock.js';
import { HubUart } from './hub-uart.js';
import { ImageReceiver } from './image-receiver.js';
import type { HubPhase, VirtualHub } from './virtual-hub.js';

/** A hub entered a phase (or, in TRANSFER, accepted a block up to `offset`). Scenario triggers watch these. */
export interface HubPhaseEvent {
  phase: HubPhase;
  /** Which time this hub entered the phase (1-based); see docs/simulator.md for what counts. */
  attempt: number;
  /** TRANSFER only: bytes accepted so far, and the image size. */
  offset?: number;
  sizeBytes?: number;
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
 * line it is plugged into. Constructing one is powering the hub up: it boots (and finishes an
 * activation a power cut interrupted) before it answers. `powerOff()` loses everything here, which
 * is all RAM; the {@link VirtualHub} (flash) keeps what was committed.
 */
export class HubResponder {
  readonly hub: VirtualHub;
  readonly #transmit: (bytes: Buffer) => void;
  readonly #onPhase: (event: HubPhaseEvent) => void;
  readonly #parser = new FrameParser();
  #powered = true;
  #bootedAt = 0;
  /** A boot that installs the activated image is due at #bootedAt. */
  #bootPending = false;
  #hung = false;
  #unlocked = false;
  #nonce: Buffer | undefined;
  #rx: ImageReceiver | undefined;
  /** The next IDENTIFY is the host reading back after our activation reboot, not a new attempt. */
  #readBackNext = false;
  #lastReply: { seq: number; type: number; frame: Buffer } | undefined;
  #inProgress: { seq: number; type: number } | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Switches the slot line's rate once the reply has left at the old rate (SimLine.sentToHost, then SimLine.setBaudRate). */
  readonly switchLineBaud: (baudRate: number) => Promise<void>;
  readonly #uart: HubUart;

  /** `bootBaudRate`: the rate the hub's UART starts at, the line's configured rate (docs/protocol.md §2.8). */
  constructor(
    hub: VirtualHub,
    transmit: (bytes: Buffer) => void,
    onPhase: (event: HubPhaseEvent) => void = () => {},
    switchLineBaud: (baudRate: number) => Promise<void> = async () => {},
    bootBaudRate = 115_200,
  ) {
    this.hub = hub;
    this.#transmit = transmit;
    this.#onPhase = onPhase;
    this.switchLineBaud = switchLineBaud;
    this.#uart = new HubUart({ bootBaudRate, switchLine: switchLineBaud, busy: () => this.#inProgress !== undefined || (this.#rx?.busy ?? false) });
    hub.lockedOut = false; // lockout is RAM; the failed-unlock counter is not
    this.#bootedAt = performance.now() + hub.timing.rebootMs;
    if (hub.pendingActivation) this.#scheduleBoot(hub.timing.rebootMs);
  }

  get unlocked(): boolean {
    return this.#unlocked;
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** The rate this hub's UART runs at now. */
  get baudRate(): number {
    return this.#uart.baudRate;
  }

  /** Alive but answering nothing (a hang); cleared by a power cycle, unlike a bricked hub. */
  get hung(): boolean {
    return this.#hung;
  }

  get parserStats(): FrameParser['stats'] {
    return this.#parser.stats;
  }

  /** Bytes from the line. Ignored while booting, hung, dead or unpowered, as a real UART would lose them. */
  receive(chunk: Buffer): void {
    const now = performance.now();
    if (!this.#answering || now < this.#bootedAt) return;
    // The boot timer may be due but not yet run when bytes arrive in the same turn: boot first.
    if (this.#bootPending) this.#boot();
    this.#parser.feed(chunk, (frame) => this.#onFrame(frame));
  }

  /** Stops answering from now on until power is cut. */
  hang(): void {
    this.#hung = true;
  }

  /** Cuts power: RAM state and pending timers go; flash content already committed stays. */
  powerOff(): void {
    this.#powered = false;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#rx = undefined;
    this.#unlocked = false;
    this.#nonce = undefined;
    this.#lastReply = undefined;
    this.#inProgress = undefined;
    this.hub.lockedOut = false;
    // "Verified" is a result in RAM; only an activation already marked in flash survives.
    if (this.hub.held && !this.hub.pendingActivation) this.hub.held.verified = false;
    this.#uart.reset();
  }

  get #answering(): boolean {
    return this.#powered && !this.#hung && !this.hub.defects.bricked;
  }

  /** Reports a phase to the scenario; false when that stopped the hub (power cut, removal, hang). */
  #phase(event: Omit<HubPhaseEvent, 'attempt'> & { attempt?: number }): boolean {
    const attempt = event.attempt ?? this.hub.enterPhase(event.phase);
    this.#onPhase({ ...event, attempt });
    return this.#answering;
  }

  #onFrame(frame: Frame): void {
    if (!this.#answering) return;
    this.#uart.heard();
    if (frame.type === MSG.DATA) {
      this.#rx?.onData(frame);
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
    if (!this.#enter(message)) return;
    this.#inProgress = { seq: frame.seq, type: frame.type };
    this.#handle(message).then(
      (reply) => this.#reply(frame, reply),
      (err: unknown) => {
        if (err instanceof HubStatusError) this.#reply(frame, { kind: 'ERROR', status: err.status, message: err.message });
        else this.#reply(frame, { kind: 'ERROR', status: HUB_STATUS.BAD_STATE, message: String(err) });
      },
    );
  }

  /** Phase bookkeeping for a new request; false when a scenario stopped the hub on entry. */
  #enter(message: HubMessage): boolean {
    switch (message.kind) {
      case 'IDENTIFY':
        if (this.#readBackNext) {
          this.#readBackNext = false;
          return true;
        }
        return this.#phase({ phase: 'IDENTIFY' });
      case 'UNLOCK_CHALLENGE':
        return this.#phase({ phase: 'UNLOCK' });
      case 'FINISH':
        return this.#phase({ phase: 'VERIFY' });
      case 'ACTIVATE':
        return this.#phase({ phase: 'ACTIVATE' });
      default:
        return true;
    }
  }

  #reply(request: Frame, reply: HubMessage): void {
    if (!this.#answering) return;
    const wire = encodeFrame(encodeMessage(reply, request.seq));
    this.#inProgress = undefined;
    this.#lastReply = { seq: request.seq, type: request.type, frame: wire };
    this.#transmit(wire);
    this.#uart.heard();
    if (reply.kind === 'ACTIVATING') {
      this.#reboot(reply.rebootMs);
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
        this.#nonce = randomBytes(16);
        return { kind: 'CHALLENGE', nonce: this.#nonce };
      case 'UNLOCK':
        return this.#unlock(m);
      case 'BEGIN':
        return this.#begin(m);
      case 'FINISH':
        return this.#finish();
      case 'ACTIVATE':
        if (!this.hub.held?.verified) throw new HubStatusError(HUB_STATUS.NOT_VERIFIED, 'no verified image to activate');
        return { kind: 'ACTIVATING', rebootMs: Math.round(this.hub.timing.rebootMs) };
      case 'SET_BAUD':
        if (!HubUart.offers(m.baudRate, this.hub.profile.maxBaudRate))
          throw new HubStatusError(HUB_STATUS.BAUD_UNSUPPORTED, `baud ${m.baudRate} not supported`);
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
    if (profile.deflate && profile.deflateDictionary) flags |= IDENTITY_DEFLATE_DICTIONARY;
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
    await this.#sleep(hub.timing.unlockMs);
    const chf = deviceIdToBytes(hub.spec.deviceId);
    const master = hub.defects.wrongKey ? createHash('sha256').update(hub.spec.masterKey).update('not the key flashd has').digest() : hub.spec.masterKey;
    const expected = unlockResponse(deriveHubKey(master, chf), nonce, chf, deviceIdToBytes(hub.spec.gpfDeviceId));
    if (!timingSafeEqual(expected, m.mac)) {
      hub.failedUnlocks++;
      if (hub.failedUnlocks >= hub.maxUnlockAttempts) hub.lockedOut = true;
      throw new HubStatusError(HUB_STATUS.AUTH_FAILED, `unlock response refused (${hub.failedUnlocks} of ${hub.maxUnlockAttempts})`);
    }
    hub.failedUnlocks = 0;
    this.#unlocked = true;
    return { kind: 'UNLOCKED' };
  }

  async #begin(m: MessageOf<'BEGIN'>): Promise<HubMessage> {
    const hub = this.hub;
    const p = hub.timing;
    if (!this.#unlocked) throw new HubStatusError(HUB_STATUS.LOCKED, 'unlock first');
    const capacity = hub.profile.flashBytes;
    if (m.imageSize === 0 || m.imageSize > capacity)
      throw new HubStatusError(HUB_STATUS.IMAGE_TOO_LARGE, `image of ${m.imageSize} bytes does not fit ${capacity}`);
    if (m.blockBytes === 0 || m.blockBytes > p.maxBlockBytes)
      throw new HubStatusError(HUB_STATUS.BAD_PARAMETER, `block of ${m.blockBytes} bytes; at most ${p.maxBlockBytes}`);
    if (m.window === 0 || m.window > p.maxWindow) throw new HubStatusError(HUB_STATUS.BAD_PARAMETER, `window of ${m.window}; at most ${p.maxWindow}`);
    await this.#rx?.drain();
    const same = hub.held && hub.held.sha256.equals(m.sha256) && hub.held.sizeBytes === m.imageSize;
    if (!same || (m.flags & BEGIN_DISCARD) !== 0) {
      hub.held = { sha256: Buffer.from(m.sha256), sizeBytes: m.imageSize, committedBytes: 0, verified: false };
      hub.pendingActivation = false;
    }
    const held = hub.held!;
    const resumeOffset = Math.floor(held.committedBytes / m.blockBytes) * m.blockBytes;
    let prefixSha256: Buffer = Buffer.alloc(32);
    if (resumeOffset > 0) {
      await this.#sleep((resumeOffset / 1_048_576) * p.hashMsPerMiB);
      prefixSha256 = createHash('sha256').update(hub.flash.subarray(0, resumeOffset)).digest();
    }
    held.committedBytes = resumeOffset;
    held.verified = false;
    const attempt = hub.enterPhase('TRANSFER');
    this.#rx = new ImageReceiver(
      hub,
      { blockBytes: m.blockBytes, window: m.window, startOffset: resumeOffset },
      {
        transmit: (bytes) => this.#answering && this.#transmit(bytes),
        after: (ms, fn) => this.#after(ms, fn),
        onProgress: (offset) => this.#phase({ phase: 'TRANSFER', attempt, offset, sizeBytes: held.sizeBytes }),
      },
    );
    if (!this.#phase({ phase: 'TRANSFER', attempt, offset: resumeOffset, sizeBytes: held.sizeBytes })) throw new HubStatusError(HUB_STATUS.BUSY, 'stopped');
    return { kind: 'READY', resumeOffset, prefixSha256 };
  }

  async #finish(): Promise<HubMessage> {
    const held = this.hub.held;
    if (!held) throw new HubStatusError(HUB_STATUS.NO_IMAGE, 'no image transfer started');
    const rx = this.#rx;
    await rx?.drain();
    if (rx?.failure) throw new HubStatusError(HUB_STATUS.FLASH_WRITE_FAILED, `flash program failed in sector ${rx.failure.sector}`);
    if (held.committedBytes < held.sizeBytes) {
      throw new HubStatusError(HUB_STATUS.BAD_STATE, `image incomplete: ${held.committedBytes} of ${held.sizeBytes} bytes`);
    }
    await this.#sleep((held.sizeBytes / 1_048_576) * this.hub.timing.hashMsPerMiB);
    const sha256 = createHash('sha256').update(this.hub.flash.subarray(0, held.sizeBytes)).digest();
    held.verified = sha256.equals(held.sha256);
    this.#rx = undefined;
    return { kind: 'VERIFIED', sha256 };
  }

  /** ACTIVATING is on the wire: the activation is marked in flash, then the hub reboots into it. */
  #reboot(rebootMs: number): void {
    const hub = this.hub;
    this.#unlocked = false;
    this.#bootedAt = performance.now() + rebootMs;
    this.#lastReply = undefined;
    if (!hub.held?.verified) return;
    hub.pendingActivation = true;
    this.#readBackNext = true;
    this.#scheduleBoot(rebootMs);
  }

  #scheduleBoot(ms: number): void {
    this.#bootPending = true;
    this.#after(ms, () => this.#boot());
  }

  /** Boot: an image marked for activation becomes the running firmware. */
  #boot(): void {
    const hub = this.hub;
    if (!this.#bootPending) return;
    this.#bootPending = false;
    if (!hub.pendingActivation || !hub.held) return;
    const header = parseOtaHeader(hub.flash.subarray(0, hub.held.sizeBytes));
    const wrong = hub.defects.bootVersion;
    hub.runningVersion = wrong ? wrong.version : firmwareVersionFromNumber(header.fileVersion);
    if (wrong && --wrong.times <= 0) hub.defects.bootVersion = undefined;
    hub.held = undefined;
    hub.pendingActivation = false;
    hub.flashCount++;
    hub.releaseDownloadArea();
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#after(ms, resolve));
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    this.#timers.add(timer);
  }
}
