import type { WorkOrderLineInput } from '../src/domain/work-order-lines.js';
import type { IntakeStore } from '../src/store/intake-store.js';
import type { WorkOrderStore } from '../src/store/work-order-store.js';

/** The party every demo work order belongs to (docs/work-orders.md, "Demo"). */
export const DEMO_PARTY = 'DEMO-PARTY';

/**
 * The next demo run: `DEMO-1`, `DEMO-2`, ... Each start of the demo is a new delivery of new
 * simulated hubs, because the last run's hubs are still on its (open) work order in the store.
 */
export function nextDemoRun(workOrders: Pick<WorkOrderStore, 'get'>): { run: number; workOrderId: string } {
  let run = 1;
  while (workOrders.get(`DEMO-${run}`)) run++;
  return { run, workOrderId: `DEMO-${run}` };
}

/**
 * What the back-office and goods-in would do for the simulated stock before a technician puts it
 * in the jigs: a work order for party DEMO-PARTY in region South listing every hub, then a scan of
 * each at intake. The demo bench then flashes without manual steps.
 */
export function createDemoWorkOrder(
  stores: { workOrders: Pick<WorkOrderStore, 'create'>; intake: Pick<IntakeStore, 'scan'> },
  workOrderId: string,
  hubs: readonly (WorkOrderLineInput & { deviceId: string })[],
  options: { operatorId: string; isKnownModel: (model: string) => boolean },
): { workOrderId: string; accepted: number } {
  stores.workOrders.create(
    { id: workOrderId, secPartyId: DEMO_PARTY, cspRegion: 'South', source: 'demo', operatorId: options.operatorId },
    { hubs },
    options.isKnownModel,
  );
  let accepted = 0;
  for (const hub of hubs) {
    if (stores.intake.scan({ deviceId: hub.deviceId, operatorId: options.operatorId, workOrderId }).decision === 'ACCEPTED') accepted++;
  }
  return { workOrderId, accepted };
}
