import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { decideEligibility } from '../../src/domain/eligibility.js';
import type { HubIdentity } from '../../src/domain/hub-identity.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { ImageCatalog } from '../../src/images/catalog.js';
import { openLink } from '../../src/link/open-link.js';
import { LinkBridge } from '../../src/link/port-bridge.js';
import { PortLink } from '../../src/link/port-link.js';
import type { HubDriverRegistry } from '../../src/session/hub-driver.js';
import { runHubSession } from '../../src/session/hub-session.js';
import { prepareBlocks } from '../../src/session/image-blocks.js';
import { SessionControl } from '../../src/session/session-control.js';
import type { HubCapabilities, SessionDecision, SessionEvent, SessionResult, SessionTimeouts, TransferPreferences } from '../../src/session/session-types.js';
import { planTransfer } from '../../src/session/transfer-plan.js';
import { demoUnlockKeys, type Simulator } from '../../jig-sim/index.js';

/** Short timeouts so a fault that stalls a session ends it in well under a second or two. */
export const FAST_TIMEOUTS: SessionTimeouts = {
  requestTimeoutMs: 250,
  requestRetries: 2,
  probeTimeoutMs: 100,
  bootWaitMs: 1000,
  unlockTimeoutMs: 1000,
  verifyTimeoutBaseMs: 2000,
  verifyTimeoutMsPerMiB: 10_000,
  rebootGraceMs: 3000,
  ackTimeoutMs: 300,
  transferRetries: 2,
  decisionTimeoutMs: 2000,
};

let catalog: Promise<ImageCatalog> | undefined;

/** The repository's signed demo catalogue, loaded once per test file. */
export function demoCatalog(): Promise<ImageCatalog> {
  catalog ??= ImageCatalog.load({
    dir: join(PACKAGE_ROOT, 'firmware-images'),
    trustedKeyFiles: [join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem')],
  });
  return catalog;
}

/**
 * The bench's eligibility answer without the work-order binding (these tests are about the hub, not
 * the process), with the image's blocks prepared for the hub's transfer plan as the bench does.
 */
async function decide(identity: HubIdentity, capabilities: HubCapabilities, images: ImageCatalog, prefs: TransferPreferences): Promise<SessionDecision> {
  const image = images.latestFor(identity.manufacturer, identity.model);
  const decision = decideEligibility(identity, image);
  switch (decision.action) {
    case 'flash': {
      const plan = planTransfer(prefs, capabilities);
      const blocks = await prepareBlocks(image!, plan.blockBytes, plan.deflate, plan.dictionary);
      return { action: 'flash', image: { version: image!.version, sha256: image!.sha256, sizeBytes: image!.sizeBytes, data: image!.data }, blocks };
    }
    case 'already-current':
      return { action: 'finish', result: 'ALREADY_CURRENT' };
    case 'refuse':
      return { action: 'finish', result: 'REJECTED', error: { code: decision.code, message: decision.reason } };
  }
}

/**
 * Runs the daemon's real hub session (identify → unlock → transfer → verify → activate → read
 * back) in this thread against one simulator slot, over the in-process transport: the code a
 * piscina worker runs, without the pool, the store or the bench around it.
 */
export async function flashSlot(
  sim: Simulator,
  jigNumber: number,
  slot: number,
  options: {
    timeouts?: Partial<SessionTimeouts>;
    blockBytes?: number;
    window?: number;
    deflate?: boolean;
    /** Rates the session may switch to (docs/protocol.md §2.8); default none: stay at 115,200. */
    baudRates?: number[];
    onEvent?: (e: SessionEvent) => void;
    /** Hub drivers by manufacturer; default the daemon's (the reference protocol for all). */
    drivers?: HubDriverRegistry;
  } = {},
): Promise<SessionResult> {
  const transfer = { blockBytes: options.blockBytes ?? 4096, window: options.window ?? 8, deflate: options.deflate ?? true };
  const images = await demoCatalog();
  const link = await openLink(`sim://JIG-${jigNumber}/${slot}`, { baudRate: 115_200, inProcess: sim.openInProcess });
  const bytes = new MessageChannel();
  const control = new MessageChannel();
  const bridge = new LinkBridge(link, bytes.port1);
  link.stream.on('data', (chunk: Buffer) => bridge.deliver(chunk));
  control.port1.on('message', (event: SessionEvent) => {
    options.onEvent?.(event);
    // No store here: every fact the session must have on disk before its next step is taken as stored.
    if (event.t === 'durable') control.port1.postMessage({ t: 'persisted', seq: event.seq });
    if (event.t === 'identified') {
      void decide(event.identity, event.capabilities, images, transfer).then((decision) => control.port1.postMessage({ t: 'decision', decision }));
    }
  });
  try {
    return await runHubSession({
      link: new PortLink(bytes.port2),
      control: new SessionControl(control.port2),
      unlockKeys: demoUnlockKeys(),
      timeouts: { ...FAST_TIMEOUTS, ...options.timeouts },
      transfer,
      baud: { baseBaudRate: 115_200, rates: options.baudRates ?? [] },
      drivers: options.drivers,
    });
  } finally {
    bridge.detach();
    control.port1.close();
    await link.close();
  }
}
