import type { Duplex } from 'node:stream';
import { encodeFrame, type Frame } from '../../src/link/frame.js';
import { FrameParser } from '../../src/link/frame-parser.js';
import { deviceIdToBytes, type DeviceId } from '../../src/domain/identifiers.js';
import { decodeMessage, encodeMessage, type HubMessage } from '../../src/session/hub-messages.js';
import { deriveHubKey, unlockResponse } from '../../src/session/unlock.js';
import type { Simulator } from '../../jig-sim/index.js';

/**
 * A bare hub-protocol client for tests that check exactly what a simulated hub puts on the wire:
 * no retries, no session logic. Every decoded frame is kept in `received`.
 */
export class HubWire {
  readonly received: Array<{ message: HubMessage; seq: number; at: number }> = [];
  readonly #stream: Duplex;
  readonly #parser = new FrameParser();
  #seq = 100;
  #waiters: Array<() => void> = [];

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', (chunk: Buffer) =>
      this.#parser.feed(chunk, (frame: Frame) => {
        this.received.push({ message: decodeMessage(frame), seq: frame.seq, at: performance.now() });
        for (const w of this.#waiters.splice(0)) w();
      }),
    );
  }

  static open(sim: Simulator, jig: number, slot: number): HubWire {
    return new HubWire(sim.openInProcess(`JIG-${jig}/${slot}`)!);
  }

  send(message: HubMessage, seq = ++this.#seq): number {
    this.#stream.write(encodeFrame(encodeMessage(message, seq)));
    return seq;
  }

  /** Sends a request and resolves with the reply to its sequence number, or undefined after `timeoutMs`. */
  async request(message: HubMessage, timeoutMs = 1000): Promise<HubMessage | undefined> {
    const seq = this.send(message);
    return this.waitFor((r) => r.seq === seq && r.message.kind !== 'ACK', timeoutMs).then((r) => r?.message);
  }

  /** Resolves with the first received frame (past or future) that matches, or undefined after `timeoutMs`. */
  async waitFor(match: (r: HubWire['received'][number]) => boolean, timeoutMs = 1000): Promise<HubWire['received'][number] | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(match);
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.#stream.destroy();
  }
}

/** Unlocks a hub with the key its spec was made with (demo keys); resolves with the UNLOCK reply. */
export async function unlockHub(wire: HubWire, spec: { deviceId: DeviceId; gpfDeviceId: DeviceId; masterKey: Uint8Array }): Promise<HubMessage | undefined> {
  const challenge = await wire.request({ kind: 'UNLOCK_CHALLENGE' });
  if (challenge?.kind !== 'CHALLENGE') return challenge;
  const chf = deviceIdToBytes(spec.deviceId);
  const mac = unlockResponse(deriveHubKey(spec.masterKey, chf), challenge.nonce, chf, deviceIdToBytes(spec.gpfDeviceId));
  return wire.request({ kind: 'UNLOCK', mac });
}

/** Sends raw (not deflated) DATA blocks covering image bytes [from, to), without waiting for ACKs. */
export function sendBlocks(wire: HubWire, image: Uint8Array, from: number, to: number, blockBytes: number): void {
  for (let offset = from; offset < Math.min(to, image.length); offset += blockBytes) {
    wire.send({ kind: 'DATA', offset, flags: 0, data: Buffer.from(image.subarray(offset, Math.min(offset + blockBytes, image.length))) });
  }
}

/** Highest acknowledged offset seen so far. */
export function ackedOffset(wire: HubWire): number {
  let acked = 0;
  for (const r of wire.received) if (r.message.kind === 'ACK') acked = Math.max(acked, r.message.offset);
  return acked;
}

/**
 * Sends image bytes [from, to) with a sliding window, as the daemon does (go-back-N on a gap
 * ACK); resolves with the acknowledged offset, which falls short of `to` if the hub went quiet.
 */
export async function sendWindowed(
  wire: HubWire,
  image: Uint8Array,
  options: { from?: number; to?: number; blockBytes: number; window: number; quietMs?: number },
): Promise<number> {
  const to = Math.min(options.to ?? image.length, image.length);
  let next = options.from ?? 0;
  let acked = next;
  while (acked < to) {
    const seen = wire.received.length; // before sending: an in-process hub may answer synchronously
    while (next < to && next - acked < options.window * options.blockBytes) {
      sendBlocks(wire, image, next, next + options.blockBytes, options.blockBytes);
      next += options.blockBytes;
    }
    const got = await wire.waitFor((r) => wire.received.indexOf(r) >= seen && r.message.kind === 'ACK', options.quietMs ?? 1000);
    if (!got) return acked;
    for (const { message } of wire.received.slice(seen)) {
      if (message.kind !== 'ACK') continue;
      acked = Math.max(acked, Math.min(message.offset, to));
      if (message.flags & 1) next = Math.max(acked, message.offset);
    }
    if (next < acked) next = acked;
  }
  return acked;
}
