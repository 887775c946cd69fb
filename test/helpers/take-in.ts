import type { CspRegion } from '../../src/domain/work-order.js';
import { openDatabase } from '../../src/store/open-database.js';
import { createStores, type Stores } from '../../src/store/stores.js';
import type { HubSpec } from '../../jig-sim/index.js';

export interface TakeInOrder {
  id: string;
  secPartyId: string;
  cspRegion: CspRegion;
  /** Who imports the order and scans the hubs. */
  operatorId: string;
}

/**
 * What the back-office and goods-in do before hubs reach a slot: a work order listing `stock`,
 * then a scan of each hub at intake. Without it the slots refuse the hubs (HUB_NOT_ON_WORK_ORDER).
 */
export function takeInStock(
  stores: Pick<Stores, 'workOrders' | 'intake'>,
  order: TakeInOrder,
  stock: readonly HubSpec[],
  isKnownModel: (model: string) => boolean = () => true,
): void {
  const hubs = stock.map((h) => ({ deviceId: h.deviceId, model: h.model, firmwareVersion: h.firmwareVersion, smiStatus: h.smiStatus }));
  stores.workOrders.create(
    { id: order.id, secPartyId: order.secPartyId, cspRegion: order.cspRegion, source: 'api', operatorId: order.operatorId },
    { hubs },
    isKnownModel,
  );
  for (const hub of hubs) stores.intake.scan({ deviceId: hub.deviceId, operatorId: order.operatorId, workOrderId: order.id });
}

/** {@link takeInStock} on the store file a daemon child process will open. */
export function takeInStockOnFile(dbPath: string, order: TakeInOrder, stock: readonly HubSpec[]): void {
  const db = openDatabase(dbPath);
  try {
    takeInStock(createStores(db), order, stock);
  } finally {
    db.close();
  }
}
