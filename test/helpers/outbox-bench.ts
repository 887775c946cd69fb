import { join } from 'node:path';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import type { HubIdentity } from '../../src/domain/hub-identity.js';
import { parseDeviceId, parseFirmwareVersion, type FirmwareVersion } from '../../src/domain/identifiers.js';
import { ImageCatalog } from '../../src/images/catalog.js';
import { openDatabase, type Db } from '../../src/store/open-database.js';
import { createStores, type Stores } from '../../src/store/stores.js';
import type { HubTransitionSink } from '../../src/store/hub-transitions.js';
import { N3OutboxSink, type N3OutboxSinkOptions } from '../../src/upstream/n3-outbox-sink.js';

export type PlannedResult = 'REFLASHED' | 'ALREADY_CURRENT' | 'FAILED' | 'REJECTED';

/** The Device ID of test hub `n` (0..65535) and its GPF. */
export function deviceIdOf(n: number): string {
  const hex = n.toString(16).toUpperCase().padStart(4, '0');
  return parseDeviceId(`00-DB-AA-00-00-00-${hex.slice(0, 2)}-${hex.slice(2)}`);
}

/**
 * A store with the N3 sink, and results committed through the same store calls the bench makes
 * (beginAttempt, finishAttemptOnWorkOrder, confirmScrap, markReturned), without jigs. Each hub `n`
 * is of model `n % 6` and starts on an older version; the fixture remembers what it runs.
 */
export class OutboxBench {
  readonly running = new Map<number, FirmwareVersion>();

  constructor(
    readonly db: Db,
    readonly stores: Stores,
    readonly catalog: ImageCatalog,
  ) {}

  static async open(path: string, sink: Omit<N3OutboxSinkOptions, 'catalogue'> = {}, extraSinks: HubTransitionSink[] = []): Promise<OutboxBench> {
    const catalog = await loadCatalog();
    const db = openDatabase(path);
    const n3 = new N3OutboxSink(db, {
      ...sink,
      catalogue: (manufacturer, model) => {
        const image = catalog.latestFor(manufacturer, model);
        return image && { hanVariant: image.hanVariant, smetsChtsVersion: image.smetsChtsVersion, version: image.version, sha256: image.sha256 };
      },
    });
    return new OutboxBench(db, createStores(db, { sinks: [n3, ...extraSinks] }), catalog);
  }

  model(n: number): (typeof DEVICE_MODELS)[number] {
    return DEVICE_MODELS[n % DEVICE_MODELS.length]!;
  }

  identity(n: number): HubIdentity {
    const m = this.model(n);
    const older = parseFirmwareVersion((parseInt(m.latestVersion, 16) - 3).toString(16).toUpperCase().padStart(8, '0'));
    return {
      deviceId: deviceIdOf(n) as HubIdentity['deviceId'],
      gpfDeviceId: parseDeviceId(deviceIdOf(n).replace(/^00-DB-AA/, '00-DB-BB')),
      manufacturer: m.manufacturer,
      model: m.model,
      hardwareVersion: m.hardwareMin,
      firmwareVersion: this.running.get(n) ?? older,
      locked: true,
    };
  }

  /** Creates a work order for hubs `ns` and takes every one in. */
  order(id: string, ns: readonly number[], party = 'PARTY-1'): void {
    const hubs = ns.map((n) => ({ deviceId: deviceIdOf(n) }));
    this.stores.workOrders.create({ id, secPartyId: party, cspRegion: 'South', source: 'api', operatorId: 'tech' }, { hubs }, () => true);
    for (const { deviceId } of hubs) this.stores.intake.scan({ deviceId, operatorId: 'tech', workOrderId: id });
  }

  /** One attempt on hub `n` ending as `result`; returns the attempt id. */
  flash(workOrderId: string, n: number, result: PlannedResult, where = { jigId: 'JIG-1', slot: 1 }): number {
    const m = this.model(n);
    const image = this.catalog.latestFor(m.manufacturer, m.model)!;
    let identity = this.identity(n);
    if (result === 'ALREADY_CURRENT') identity = { ...identity, firmwareVersion: image.version };
    if (result === 'REJECTED') identity = { ...identity, firmwareVersion: parseFirmwareVersion('FFFFFFF0') };
    const attemptId = this.stores.flash.beginAttempt({ identity, benchId: 'BENCH-T', ...where, startedAt: new Date(), workOrderId, operatorId: 'tech' });
    const common = { firmwareTarget: image.version, timings: { identify: 1 } };
    switch (result) {
      case 'REFLASHED':
        this.stores.flash.finishAttemptOnWorkOrder(attemptId, {
          ...common,
          result,
          firmwareAfter: image.version,
          imageSha256: image.sha256,
          hubSha256: image.sha256,
        });
        this.running.set(n, image.version);
        break;
      case 'ALREADY_CURRENT':
        this.stores.flash.finishAttemptOnWorkOrder(attemptId, { ...common, result });
        this.running.set(n, image.version);
        break;
      case 'FAILED':
        this.stores.flash.finishAttemptOnWorkOrder(attemptId, {
          ...common,
          result,
          imageSha256: image.sha256,
          error: { code: 'TRANSFER_FAILED', message: 'no', phase: 'TRANSFERRING' },
        });
        break;
      case 'REJECTED':
        this.stores.flash.finishAttemptOnWorkOrder(attemptId, { ...common, result, error: { code: 'DOWNGRADE_REFUSED', message: 'newer', phase: 'CHECKING' } });
        break;
    }
    return attemptId;
  }

  /** Hands back every hub of the work order that has its outcome (the order closes once all are settled). */
  returnReady(workOrderId: string): void {
    const ready = this.stores.workOrders.hubs(workOrderId, ['REFLASHED', 'ALREADY_CURRENT', 'REJECTED']).map((h) => h.deviceId);
    if (ready.length > 0) this.stores.settlement.markReturned(workOrderId, { deviceIds: ready, operatorId: 'tech' });
  }

  close(): void {
    this.db.close();
  }
}

export async function loadCatalog(): Promise<ImageCatalog> {
  return ImageCatalog.load({ dir: join(PACKAGE_ROOT, 'firmware-images'), trustedKeyFiles: [join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem')] });
}
