import { FlashdError } from '../domain/errors.js';
import { TERMINAL_STATES, type HubState } from '../domain/hub-state.js';
import { readWorkOrderLines, type LineProblem, type WorkOrderLineInput } from '../domain/work-order-lines.js';
import { DEFAULT_WORK_ORDER_LIMITS, MAX_WORK_ORDER_HUBS, type CspRegion, type WorkOrderLimits, type WorkOrderState } from '../domain/work-order.js';
import type { HubTransitions } from './hub-transitions.js';
import type { Db } from './open-database.js';
import type { WorkOrderRecord } from '../records/work-order.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import { toWorkOrder, toWorkOrderHub, type WorkOrderHubRow, type WorkOrderRow } from './work-order-records.js';

export interface NewWorkOrder {
  id: string;
  secPartyId: string;
  cspRegion: CspRegion;
  source: WorkOrderRecord['source'];
  operatorId: string;
}

export interface WorkOrderQuery {
  state?: WorkOrderState | undefined;
  secPartyId?: string | undefined;
  limit: number;
  /** Work order id to continue after (keyset pagination). */
  after?: string | undefined;
}

const TERMINAL_SQL = TERMINAL_STATES.map((s) => `'${s}'`).join(', ');

/**
 * Work orders and their hubs. Creation is all or nothing: every line is checked (format, duplicates,
 * catalogue, and whether the hub is live on another open work order) and one bad line stores nothing.
 */
export class WorkOrderStore {
  readonly #db: Db;
  readonly #transitions: HubTransitions;
  readonly #now: () => Date;
  readonly #limits: Readonly<WorkOrderLimits>;
  readonly #s;

  constructor(db: Db, transitions: HubTransitions, now: () => Date = () => new Date(), limits: Readonly<WorkOrderLimits> = DEFAULT_WORK_ORDER_LIMITS) {
    this.#db = db;
    this.#transitions = transitions;
    this.#now = now;
    this.#limits = limits;
    this.#s = {
      openOrders: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM work_orders WHERE state = 'OPEN'`),
      // The recent orders first, then their hubs by key: a join would read every hub ever listed.
      hubsSince: db.prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM work_order_hubs WHERE work_order_id IN (SELECT id FROM work_orders WHERE created_at > ?)',
      ),
      order: db.prepare<[string], WorkOrderRow>('SELECT * FROM work_orders WHERE id = ?'),
      counts: db.prepare<[string], { state: HubState; n: number }>('SELECT state, count(*) AS n FROM work_order_hubs WHERE work_order_id = ? GROUP BY state'),
      live: db.prepare<[string], WorkOrderHubRow & { sec_party_id: string }>(
        `SELECT h.*, w.sec_party_id FROM work_order_hubs h JOIN work_orders w ON w.id = h.work_order_id WHERE h.device_id = ? AND h.state NOT IN (${TERMINAL_SQL})`,
      ),
      history: db.prepare<[string], WorkOrderHubRow>(
        'SELECT h.* FROM work_order_hubs h JOIN work_orders w ON w.id = h.work_order_id WHERE h.device_id = ? ORDER BY w.created_at DESC, w.id DESC',
      ),
      insertOrder: db.prepare(`INSERT INTO work_orders (id, sec_party_id, csp_region, state, source, created_at, created_by)
        VALUES (@id, @secPartyId, @cspRegion, 'OPEN', @source, @at, @operatorId)`),
      insertHub:
        db.prepare(`INSERT INTO work_order_hubs (work_order_id, device_id, line, declared_model, declared_firmware_version, smi_status, smets_version, state, updated_at)
        VALUES (@workOrderId, @deviceId, @line, @model, @firmwareVersion, @smiStatus, @smetsVersion, 'EXPECTED', @at)`),
    };
  }

  /**
   * Creates a work order from a CSV file or a JSON hub list. Throws WORK_ORDER_EXISTS, or
   * WORK_ORDER_INVALID with `details.problems` listing every bad line, WORK_ORDER_TOO_LARGE past
   * 4,480 hubs, or a store limit (WORK_ORDERS_OPEN_LIMIT, HUB_IMPORT_RATE_LIMIT); nothing is stored then.
   */
  create(order: NewWorkOrder, source: { csv: string } | { hubs: readonly WorkOrderLineInput[] }, isKnownModel: (model: string) => boolean): WorkOrderRecord {
    const { lines, problems } = readWorkOrderLines(source, isKnownModel);
    const tooLarge = problems.find((p) => p.code === 'WORK_ORDER_TOO_LARGE');
    if (tooLarge)
      throw new FlashdError('WORK_ORDER_TOO_LARGE', `work order ${order.id}: ${tooLarge.message}`, {
        details: { workOrderId: order.id, limit: MAX_WORK_ORDER_HUBS },
      });
    const now = this.#now();
    const at = now.toISOString();
    return this.#db.transaction(() => {
      if (this.#s.order.get(order.id))
        throw new FlashdError('WORK_ORDER_EXISTS', `work order ${order.id} already exists`, { details: { workOrderId: order.id } });
      for (const line of lines) {
        const other = this.#s.live.get(line.deviceId);
        if (!other) continue;
        const whose = other.sec_party_id === order.secPartyId ? '' : ` of SEC Party ${other.sec_party_id}`;
        problems.push({
          line: line.line,
          code: 'HUB_ON_OPEN_WORK_ORDER',
          message: `line ${line.line}: ${line.deviceId} is on open work order ${other.work_order_id}${whose} (${other.state})`,
          deviceId: line.deviceId,
        });
      }
      if (problems.length > 0) throw invalid(order.id, problems);
      this.#checkLimits(order.id, lines.length, now);
      this.#s.insertOrder.run({ ...order, at });
      for (const line of lines) this.#s.insertHub.run({ workOrderId: order.id, ...line, at });
      this.#transitions.journal(order.id, null, at, 'work-order-created', order.operatorId, {
        source: order.source,
        hubs: lines.length,
        secPartyId: order.secPartyId,
      });
      return this.get(order.id)!;
    })();
  }

  /** Inside the creating transaction, so two clients cannot both pass the last free place. */
  #checkLimits(workOrderId: string, hubs: number, now: Date): void {
    const { maxOpenWorkOrders, maxNewHubsPerHour } = this.#limits;
    const open = this.#s.openOrders.get()!.n;
    if (open >= maxOpenWorkOrders) {
      throw new FlashdError(
        'WORK_ORDERS_OPEN_LIMIT',
        `work order ${workOrderId}: ${open} work orders are open, the limit is ${maxOpenWorkOrders}; close or cancel one first`,
        {
          details: { workOrderId, open, limit: maxOpenWorkOrders },
        },
      );
    }
    const recent = this.#s.hubsSince.get(new Date(now.getTime() - 3_600_000).toISOString())!.n;
    if (recent + hubs > maxNewHubsPerHour) {
      throw new FlashdError(
        'HUB_IMPORT_RATE_LIMIT',
        `work order ${workOrderId}: its ${hubs} hubs would make ${recent + hubs} on work orders created in the last hour, the limit is ${maxNewHubsPerHour}`,
        { details: { workOrderId, hubs, lastHour: recent, limit: maxNewHubsPerHour } },
      );
    }
  }

  get(id: string): WorkOrderRecord | undefined {
    const row = this.#s.order.get(id);
    if (!row) return undefined;
    return toWorkOrder(row, Object.fromEntries(this.#s.counts.all(id).map((c) => [c.state, c.n])));
  }

  /** Like {@link get}, but a missing work order is NOT_FOUND. */
  require(id: string): WorkOrderRecord {
    const order = this.get(id);
    if (!order) throw new FlashdError('NOT_FOUND', `no work order ${id}`);
    return order;
  }

  list(query: WorkOrderQuery): { items: WorkOrderRecord[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['id >', query.after],
      ['state =', query.state],
      ['sec_party_id =', query.secPartyId],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} ?`);
      params.push(value);
    }
    const sql = `SELECT * FROM work_orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.#db.prepare<unknown[], WorkOrderRow>(sql).all(...params, query.limit + 1);
    const items = rows.slice(0, query.limit).map((r) => this.get(r.id)!);
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1]!.id : null };
  }

  /** The hubs of a work order in file order, optionally only those in some states. */
  hubs(id: string, states?: readonly HubState[]): WorkOrderHubRecord[] {
    this.require(id);
    const filter = states?.length ? `AND state IN (${states.map(() => '?').join(', ')})` : '';
    const rows = this.#db
      .prepare<unknown[], WorkOrderHubRow>(`SELECT * FROM work_order_hubs WHERE work_order_id = ? ${filter} ORDER BY line`)
      .all(id, ...(states ?? []));
    return rows.map(toWorkOrderHub);
  }

  /** The one work order line on which the hub is live (not returned, scrapped or written off). */
  liveHub(deviceId: string): WorkOrderHubRecord | undefined {
    const row = this.#s.live.get(deviceId);
    return row && toWorkOrderHub(row);
  }

  /** Every work order the hub has been on, newest first. */
  history(deviceId: string): WorkOrderHubRecord[] {
    return this.#s.history.all(deviceId).map(toWorkOrderHub);
  }
}

function invalid(workOrderId: string, problems: LineProblem[]): FlashdError {
  problems.sort((a, b) => a.line - b.line);
  const n = new Set(problems.map((p) => p.line)).size;
  const shown = problems
    .slice(0, 5)
    .map((p) => p.message)
    .join('; ');
  return new FlashdError(
    'WORK_ORDER_INVALID',
    `work order ${workOrderId}: ${n} bad line${n === 1 ? '' : 's'}, nothing stored: ${shown}${problems.length > 5 ? '; ...' : ''}`,
    {
      details: { workOrderId, problems },
    },
  );
}
