import { FlashdError, isFlashdError, type ErrorCode } from '../domain/errors.js';
import { TERMINAL_STATES } from '../domain/hub-state.js';
import { parseDeviceId } from '../domain/identifiers.js';
import type { HubTransitions } from './hub-transitions.js';
import type { Db } from './open-database.js';
import type { WorkOrderRecord } from '../records/work-order.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import type { WorkOrderStore } from './work-order-store.js';

export interface ReturnRequest {
  deviceIds: readonly string[];
  operatorId: string;
  /** The consignee, when the operator states it: it must be the work order's own party. */
  secPartyId?: string | undefined;
}

/**
 * How hubs leave the process: returned to their party, scrapped on a technician's word, or written
 * off as never received when a work order is closed or cancelled. A work order closes by itself
 * once every hub on it is returned or scrapped.
 */
export class SettlementStore {
  readonly #db: Db;
  readonly #orders: WorkOrderStore;
  readonly #transitions: HubTransitions;
  readonly #now: () => Date;
  readonly #close;

  constructor(db: Db, orders: WorkOrderStore, transitions: HubTransitions, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#orders = orders;
    this.#transitions = transitions;
    this.#now = now;
    this.#close = db.prepare("UPDATE work_orders SET state = @state, closed_at = @at, closed_by = @operatorId WHERE id = @id AND state = 'OPEN'");
  }

  /**
   * Marks hubs as handed back to their party: all or none. A hub can be returned only on its own
   * work order's manifest, to that work order's party.
   */
  markReturned(workOrderId: string, request: ReturnRequest): { returned: WorkOrderHubRecord[]; workOrder: WorkOrderRecord } {
    const at = this.#now().toISOString();
    return this.#db.transaction(() => {
      const order = this.#open(workOrderId);
      if (request.secPartyId !== undefined && request.secPartyId !== order.secPartyId) {
        throw new FlashdError(
          'RETURN_PARTY_MISMATCH',
          `work order ${workOrderId} came from SEC Party ${order.secPartyId}; its hubs cannot go to ${request.secPartyId}`,
          {
            details: { workOrderId, secPartyId: order.secPartyId, requested: request.secPartyId },
          },
        );
      }
      const problems: Array<{ deviceId: string; code: ErrorCode; message: string }> = [];
      const returned: WorkOrderHubRecord[] = [];
      for (const raw of new Set(request.deviceIds.map((d) => d.trim().toUpperCase()))) {
        try {
          const deviceId = parseDeviceId(raw);
          if (!this.#transitions.get(workOrderId, deviceId)) {
            const live = this.#orders.liveHub(deviceId);
            const where = live ? `it is on work order ${live.workOrderId}` : 'it is on no open work order';
            throw new FlashdError(
              'HUB_NOT_ON_THIS_WORK_ORDER',
              `${deviceId} is not on work order ${workOrderId} (${where}); it can only go back on its own manifest`,
            );
          }
          returned.push(this.#transitions.apply(workOrderId, deviceId, { type: 'returned' }, { at, operatorId: request.operatorId }));
        } catch (err) {
          if (!isFlashdError(err)) throw err;
          problems.push({ deviceId: raw, code: err.code, message: err.message });
        }
      }
      if (problems.length > 0) {
        throw new FlashdError(
          problems[0]!.code,
          `${problems.length} of ${request.deviceIds.length} hubs cannot be returned, none was: ${problems[0]!.message}`,
          {
            details: { workOrderId, problems },
          },
        );
      }
      this.#closeIfSettled(workOrderId, at, request.operatorId);
      return { returned, workOrder: this.#orders.require(workOrderId) };
    })();
  }

  /** A technician confirms that a hub proposed for scrap (or failed) is scrapped. */
  confirmScrap(deviceId: string, operatorId: string, note?: string): WorkOrderHubRecord {
    const at = this.#now().toISOString();
    return this.#db.transaction(() => {
      const live = this.#orders.liveHub(deviceId);
      if (!live) throw new FlashdError('HUB_NOT_ON_WORK_ORDER', `${deviceId} is not live on any open work order`);
      const hub = this.#transitions.apply(live.workOrderId, deviceId, { type: 'scrap-confirmed' }, { at, operatorId, data: note ? { note } : undefined });
      this.#closeIfSettled(live.workOrderId, at, operatorId);
      return hub;
    })();
  }

  /** Closes an order whose received hubs are all returned or scrapped; hubs never received are written off. */
  close(workOrderId: string, operatorId: string): WorkOrderRecord {
    return this.#end(workOrderId, operatorId, 'CLOSED', (state) => TERMINAL_STATES.includes(state) || state === 'EXPECTED', 'WORK_ORDER_NOT_SETTLED');
  }

  /** Cancels an order before any of its hubs arrived. */
  cancel(workOrderId: string, operatorId: string): WorkOrderRecord {
    return this.#end(workOrderId, operatorId, 'CANCELLED', (state) => state === 'EXPECTED', 'WORK_ORDER_HAS_RECEIVED_HUBS');
  }

  #end(
    workOrderId: string,
    operatorId: string,
    state: 'CLOSED' | 'CANCELLED',
    allowed: (s: WorkOrderHubRecord['state']) => boolean,
    code: ErrorCode,
  ): WorkOrderRecord {
    const at = this.#now().toISOString();
    return this.#db.transaction(() => {
      this.#open(workOrderId);
      const hubs = this.#orders.hubs(workOrderId);
      const blocking = hubs.filter((h) => !allowed(h.state));
      if (blocking.length > 0) {
        throw new FlashdError(code, `work order ${workOrderId} cannot be ${state.toLowerCase()}: ${blocking.length} hubs are in process or awaiting return`, {
          details: { workOrderId, hubs: blocking.map((h) => ({ deviceId: h.deviceId, state: h.state })) },
        });
      }
      for (const hub of hubs.filter((h) => h.state === 'EXPECTED'))
        this.#transitions.apply(workOrderId, hub.deviceId, { type: 'not-received' }, { at, operatorId });
      this.#close.run({ id: workOrderId, state, at, operatorId });
      this.#transitions.journal(workOrderId, null, at, `work-order-${state.toLowerCase()}`, operatorId);
      return this.#orders.require(workOrderId);
    })();
  }

  #open(workOrderId: string): WorkOrderRecord {
    const order = this.#orders.require(workOrderId);
    if (order.state !== 'OPEN')
      throw new FlashdError('WORK_ORDER_NOT_OPEN', `work order ${workOrderId} is ${order.state}`, { details: { workOrderId, state: order.state } });
    return order;
  }

  #closeIfSettled(workOrderId: string, at: string, operatorId: string): void {
    if (this.#orders.hubs(workOrderId).every((h) => TERMINAL_STATES.includes(h.state))) {
      this.#close.run({ id: workOrderId, state: 'CLOSED', at, operatorId });
      this.#transitions.journal(workOrderId, null, at, 'work-order-closed', operatorId, { automatic: true });
    }
  }
}
