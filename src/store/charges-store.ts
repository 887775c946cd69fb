import type { BillingPeriod } from '../domain/billing-period.js';
import type { CspRegion } from '../domain/work-order.js';
import type { Db } from './open-database.js';

/** Counts per work order (or per party) that billing needs. `reflashed` is the Explicit Charge basis. */
export interface ChargeCounts {
  /** Hubs listed on the work order(s). */
  hubs: number;
  /** Hubs re-flashed to the latest production version (returned or awaiting return). */
  reflashed: number;
  alreadyCurrent: number;
  /** Rejected at intake or at the bench; returned unflashed. */
  rejected: number;
  /** Scrapped with a technician's confirmation. */
  scrapped: number;
  /** Received and not finished yet (including scrap awaiting confirmation). */
  inProcess: number;
  /** Expected and not received (yet, or written off when the order closed). */
  notReceived: number;
}

export interface WorkOrderCharges extends ChargeCounts {
  workOrderId: string;
  secPartyId: string;
  cspRegion: CspRegion;
  workOrderState: string;
  createdAt: string;
}

export interface PartyCharges extends ChargeCounts {
  secPartyId: string;
  workOrders: number;
}

/** The disposition fell in the period (open ends pass): `t` is when the hub reached it. */
const IN_PERIOD = (t: string): string => `(@from IS NULL OR ${t} >= @from) AND (@to IS NULL OR ${t} < @to)`;

const COUNTS = `count(*) AS hubs,
  count(*) FILTER (WHERE h.outcome = 'REFLASHED' AND ${IN_PERIOD('h.outcome_at')}) AS reflashed,
  count(*) FILTER (WHERE h.outcome = 'ALREADY_CURRENT' AND ${IN_PERIOD('h.outcome_at')}) AS alreadyCurrent,
  count(*) FILTER (WHERE h.outcome = 'REJECTED' AND ${IN_PERIOD('COALESCE(h.outcome_at, h.received_at)')}) AS rejected,
  count(*) FILTER (WHERE h.state = 'SCRAPPED' AND ${IN_PERIOD('h.scrap_confirmed_at')}) AS scrapped,
  count(*) FILTER (WHERE h.state IN ('ACCEPTED', 'FLASHING', 'FAILED', 'SCRAP_PROPOSED')) AS inProcess,
  count(*) FILTER (WHERE h.state IN ('EXPECTED', 'NOT_RECEIVED')) AS notReceived`;

/** With a period, only rows with something charged in it. */
const CHARGED_IN_PERIOD = `HAVING (@from IS NULL AND @to IS NULL) OR reflashed + alreadyCurrent + rejected + scrapped > 0`;

type Params = { party: string | null; order: string | null } & BillingPeriod;

const ALL_TIME: BillingPeriod = { from: null, to: null };

/**
 * The charging record: counts by outcome per work order and per SEC Party. Counted from the
 * outcome a hub carries, which survives its return, so a returned hub still counts as re-flashed.
 * With a billing period, the four dispositions count the hubs that reached them in it (re-flashed,
 * already current or rejected at their outcome, scrapped at the technician's confirmation);
 * `hubs`, `inProcess` and `notReceived` describe the work orders as they are now.
 */
export class ChargesStore {
  readonly #byOrder;
  readonly #byParty;

  constructor(db: Db) {
    this.#byOrder = db.prepare<[Params], WorkOrderCharges>(`SELECT w.id AS workOrderId, w.sec_party_id AS secPartyId, w.csp_region AS cspRegion,
        w.state AS workOrderState, w.created_at AS createdAt, ${COUNTS}
      FROM work_orders w JOIN work_order_hubs h ON h.work_order_id = w.id
      WHERE (@party IS NULL OR w.sec_party_id = @party) AND (@order IS NULL OR w.id = @order)
      GROUP BY w.id ${CHARGED_IN_PERIOD} ORDER BY w.sec_party_id, w.id`);
    this.#byParty = db.prepare<[Omit<Params, 'order'>], PartyCharges>(`SELECT w.sec_party_id AS secPartyId, count(DISTINCT w.id) AS workOrders, ${COUNTS}
      FROM work_orders w JOIN work_order_hubs h ON h.work_order_id = w.id
      WHERE (@party IS NULL OR w.sec_party_id = @party)
      GROUP BY w.sec_party_id ${CHARGED_IN_PERIOD} ORDER BY w.sec_party_id`);
  }

  byWorkOrder(filter: { secPartyId?: string | undefined; workOrderId?: string | undefined; period?: BillingPeriod | undefined } = {}): WorkOrderCharges[] {
    return this.#byOrder.all({ party: filter.secPartyId ?? null, order: filter.workOrderId ?? null, ...(filter.period ?? ALL_TIME) });
  }

  byParty(filter: { secPartyId?: string | undefined; period?: BillingPeriod | undefined } = {}): PartyCharges[] {
    return this.#byParty.all({ party: filter.secPartyId ?? null, ...(filter.period ?? ALL_TIME) });
  }
}
