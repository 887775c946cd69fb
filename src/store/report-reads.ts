import type { HubState } from '../domain/hub-state.js';
import { BatchFailureReader } from './batch-failures.js';
import { ChargesStore } from './charges-store.js';
import { HubTransitions } from './hub-transitions.js';
import type { Db } from './open-database.js';
import { WorkOrderStore } from './work-order-store.js';

/**
 * The back-office's reads whose cost grows with what they are asked for (a year of charges, a
 * year of batches, every hub of a 4,480-hub work order): each is made from a connection once,
 * then called with plain arguments and returns plain rows, so it runs the same on the daemon's
 * connection or in the report thread's own (report-reader.ts).
 */
export const REPORT_READS = {
  chargesByWorkOrder: (db: Db) => {
    const charges = new ChargesStore(db);
    return (filter: Parameters<ChargesStore['byWorkOrder']>[0]) => charges.byWorkOrder(filter);
  },
  chargesByParty: (db: Db) => {
    const charges = new ChargesStore(db);
    return (filter: Parameters<ChargesStore['byParty']>[0]) => charges.byParty(filter);
  },
  batchFailures: (db: Db) => {
    const batches = new BatchFailureReader(db);
    return (since: string, limit: number) => batches.read(since, limit);
  },
  /** A work order and its hubs in file order (NOT_FOUND when there is no such order). */
  workOrderWithHubs: (db: Db) => {
    const orders = readOnlyWorkOrders(db);
    return (id: string) => ({ order: orders.require(id), hubs: orders.hubs(id) });
  },
  /** The hubs of each work order named, in the order named (NOT_FOUND for the first unknown one). */
  workOrderHubs: (db: Db) => {
    const orders = readOnlyWorkOrders(db);
    return (ids: readonly string[], states?: readonly HubState[]) => ids.flatMap((id) => orders.hubs(id, states));
  },
} satisfies Record<string, (db: Db) => (...args: never[]) => unknown>;

export type ReportName = keyof typeof REPORT_READS;
export type ReportArgs<N extends ReportName> = Parameters<ReturnType<(typeof REPORT_READS)[N]>>;
export type ReportValue<N extends ReportName> = ReturnType<ReturnType<(typeof REPORT_READS)[N]>>;

export function isReportName(name: unknown): name is ReportName {
  return typeof name === 'string' && Object.hasOwn(REPORT_READS, name);
}

/** Runs the reads by name on one connection; each is made the first time it is asked for. */
export function reportsOn(db: Db): (name: ReportName, args: readonly unknown[]) => unknown {
  const made = new Map<ReportName, (...args: unknown[]) => unknown>();
  return (name, args) => {
    let read = made.get(name);
    if (!read) {
      read = REPORT_READS[name](db) as unknown as (...args: unknown[]) => unknown;
      made.set(name, read);
    }
    return read(...args);
  };
}

/** The work-order repository for its reads only: no sinks, nothing it could write reaches anyone. */
function readOnlyWorkOrders(db: Db): WorkOrderStore {
  return new WorkOrderStore(db, new HubTransitions(db, []));
}
