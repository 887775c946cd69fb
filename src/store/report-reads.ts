import { FlashdError } from '../domain/errors.js';
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
    return (since: string, limit?: number) => batches.read(since, limit);
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

/**
 * How long a read in the report thread waits for a lock before it fails (STORE_READ_FAILED). A WAL
 * reader rarely waits at all; the bound also bounds how long a stop waits for a read in progress.
 */
export const REPORT_BUSY_TIMEOUT_MS = 2000;

export function isReportName(name: unknown): name is ReportName {
  return typeof name === 'string' && Object.hasOwn(REPORT_READS, name);
}

/**
 * Runs the reads by name on one connection; each is made the first time it is asked for. A read
 * is one read transaction: a work order's counts and its hubs' rows come from the same commit,
 * whatever the daemon commits meanwhile on its own connection. Its failure is as
 * {@link readFailure} names it.
 */
export function reportsOn(db: Db): (name: ReportName, args: readonly unknown[]) => unknown {
  const made = new Map<ReportName, (...args: unknown[]) => unknown>();
  return (name, args) => {
    try {
      let read = made.get(name);
      if (!read) {
        // Preparing reads the schema: it can meet a lock too.
        const query = REPORT_READS[name](db) as unknown as (...args: unknown[]) => unknown;
        read = db.transaction((...a: unknown[]) => query(...a));
        made.set(name, read);
      }
      return read(...args);
    } catch (err) {
      throw readFailure(name, err);
    }
  };
}

/**
 * What a report's error is to its caller: a FlashdError (an unknown work order) is its answer;
 * SQLite refusing the read (busy, I/O) is STORE_READ_FAILED, which asking again may cure; anything
 * else is a defect and stays as it is (INTERNAL to a client).
 */
export function readFailure(name: ReportName, err: unknown): Error {
  if (err instanceof FlashdError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new FlashdError('STORE_READ_FAILED', `the report ${name} could not be read: ${(err as Error).message} (${code})`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** The work-order repository for its reads only: no sinks, nothing it could write reaches anyone. */
function readOnlyWorkOrders(db: Db): WorkOrderStore {
  return new WorkOrderStore(db, new HubTransitions(db, []));
}
