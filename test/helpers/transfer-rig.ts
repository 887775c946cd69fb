import { createHash } from 'node:crypto';
import type { VirtualHub } from '../../jig-sim/virtual-hub.js';
import { FlashdError } from '../../src/domain/errors.js';
import { deviceIdToBytes } from '../../src/domain/identifiers.js';
import { HubClient } from '../../src/session/hub-client.js';
import { identityFromPayload } from '../../src/session/identity.js';
import { prepareBlocks } from '../../src/session/image-blocks.js';
import { emptyTransferSummary, sendImage } from '../../src/session/image-sender.js';
import { LineRate } from '../../src/session/line-rate.js';
import type { BaudPolicy } from '../../src/session/baud-policy.js';
import type { SessionTimeouts, TransferPreferences, TransferSummary } from '../../src/session/session-types.js';
import { planTransfer } from '../../src/session/transfer-plan.js';
import { deriveHubKey, unlockResponse } from '../../src/session/unlock.js';
import type { FaultLink } from './fault-link.js';

/** Short timeouts: an in-memory link answers in well under a millisecond. */
export const FAST_TIMEOUTS: SessionTimeouts = Object.freeze({
  requestTimeoutMs: 25,
  requestRetries: 10,
  probeTimeoutMs: 25,
  bootWaitMs: 250,
  unlockTimeoutMs: 100,
  verifyTimeoutMsPerMiB: 1000,
  verifyTimeoutBaseMs: 200,
  rebootGraceMs: 500,
  ackTimeoutMs: 25,
  transferRetries: 12,
  decisionTimeoutMs: 1000,
});

/** The nominal rate of a {@link FaultLink} in tests that do not switch rates. */
export const IN_MEMORY_BAUD_RATE = 4_000_000;

export interface RigOptions {
  hub: VirtualHub;
  link: FaultLink;
  image: Uint8Array;
  prefs: TransferPreferences;
  timeouts?: SessionTimeouts;
  baud?: BaudPolicy;
}

export interface RigResult {
  summary: TransferSummary;
  hubSha256: string;
  baudRate: number;
}

/**
 * The middle of a hub session over a {@link FaultLink}: IDENTIFY, rate switch, unlock, the real
 * `sendImage` (BEGIN, resume, windowed transfer, step-downs), FINISH. Succeeds only when the hub's
 * own SHA-256 over what it holds equals the image's; anything else is a thrown error.
 */
export async function flashOverRig(o: RigOptions): Promise<RigResult> {
  const t = o.timeouts ?? FAST_TIMEOUTS;
  const client = new HubClient(o.link.link);
  const ask = { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries };
  // The in-memory link has no wire time: a rate this high keeps the wire-time allowance negligible.
  const rate = new LineRate({ client, link: o.link.link, policy: o.baud ?? { baseBaudRate: IN_MEMORY_BAUD_RATE, rates: [] }, timeouts: t });
  const { identity, capabilities } = identityFromPayload(await rate.identify());
  const plan = planTransfer(o.prefs, capabilities);
  const sha256 = createHash('sha256').update(o.image).digest('hex');
  const image = { version: identity.firmwareVersion, sha256, sizeBytes: o.image.length, data: o.image };
  const blocks = await prepareBlocks(image, plan.blockBytes, plan.deflate, plan.dictionary);
  rate.hubMaxBaudRate = capabilities.maxBaudRate;
  await rate.raise();
  const { nonce } = await client.request({ kind: 'UNLOCK_CHALLENGE' }, 'CHALLENGE', ask);
  const chf = deviceIdToBytes(identity.deviceId);
  const mac = unlockResponse(deriveHubKey(o.hub.spec.masterKey, chf), nonce, chf, deviceIdToBytes(identity.gpfDeviceId));
  await client.request({ kind: 'UNLOCK', mac }, 'UNLOCKED', { ...ask, timeoutMs: t.unlockTimeoutMs });
  const summary = emptyTransferSummary(o.image.length, plan, rate.baudRate);
  await sendImage({ client, image, blocks, plan, rate, timeouts: t, summary });
  const verified = await client.request({ kind: 'FINISH' }, 'VERIFIED', { ...ask, timeoutMs: t.verifyTimeoutBaseMs });
  const hubSha256 = verified.sha256.toString('hex');
  if (hubSha256 !== sha256) throw new FlashdError('VERIFY_MISMATCH', `hub computed ${hubSha256}, image is ${sha256}`);
  return { summary, hubSha256, baudRate: rate.baudRate };
}
