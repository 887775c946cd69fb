import { AuditStore } from './audit-store.js';
import { FlashStore } from './flash-store.js';
import { HubTransitions, type HubTransitionSink } from './hub-transitions.js';
import { IntakeStore } from './intake-store.js';
import { OutboxStore } from './outbox-store.js';
import type { Db } from './open-database.js';
import type { Durability } from './wal-durability.js';
import { SettlementStore } from './settlement-store.js';
import { WorkOrderStore } from './work-order-store.js';
import type { WorkOrderLimits } from '../domain/work-order.js';

export interface StoreOptions {
  now?: () => Date;
  /** `process.maxAttempts`; default 3. */
  maxAttempts?: number;
  /** Told of every hub transition inside its transaction (the N3 outbox, issue 6). */
  sinks?: readonly HubTransitionSink[];
  /** `limits`: bounds on open work orders and hubs listed per hour; defaults in DEFAULT_WORK_ORDER_LIMITS. */
  workOrderLimits?: Readonly<WorkOrderLimits>;
  /** How a session's commits reach the disk (store/wal-durability.ts); default each FULL. */
  durability?: Durability;
}

/** Every repository over one connection, sharing one {@link HubTransitions} so all changes reach the same sinks. */
export interface Stores {
  flash: FlashStore;
  workOrders: WorkOrderStore;
  intake: IntakeStore;
  settlement: SettlementStore;
  /** The N3 outbox; rows arrive through the N3 sink (src/upstream/), the drainer and the API move them. */
  outbox: OutboxStore;
  transitions: HubTransitions;
  /** The API's audit trail of mutations (issue 11). */
  audit: AuditStore;
}

export function createStores(db: Db, options: StoreOptions = {}): Stores {
  const now = options.now ?? (() => new Date());
  const transitions = new HubTransitions(db, options.sinks);
  const workOrders = new WorkOrderStore(db, transitions, now, options.workOrderLimits);
  return {
    flash: new FlashStore(db, { now, maxAttempts: options.maxAttempts, transitions, durability: options.durability }),
    workOrders,
    intake: new IntakeStore(db, transitions, now),
    settlement: new SettlementStore(db, workOrders, transitions, now),
    outbox: new OutboxStore(db),
    transitions,
    audit: new AuditStore(db),
  };
}
