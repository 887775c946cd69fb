import type { Db } from './open-database.js';

/** One API mutation as the audit trail keeps it (docs/api.md, "Audit trail"). */
export interface AuditRecord {
  id: number;
  at: string;
  requestId: string;
  actorKind: 'token' | 'session' | 'loopback' | 'anonymous';
  /** Token name, signed-in operator, `loopback` or `anonymous`. */
  actor: string;
  tokenId: string | null;
  operatorId: string | null;
  role: string | null;
  method: string;
  /** The route pattern, e.g. `/api/v1/work-orders/:id/close`. */
  route: string;
  /** What it acted on: a work order id, a Device ID, an outbox id. */
  target: string | null;
  status: number;
  errorCode: string | null;
}

export type NewAuditRecord = Omit<AuditRecord, 'id'>;

export interface AuditQuery {
  limit: number;
  /** Records older than this id (the `nextCursor` of the previous page). */
  before?: number | undefined;
  actor?: string | undefined;
  route?: string | undefined;
  target?: string | undefined;
  /** `ok` (2xx) or `refused` (anything else). */
  outcome?: 'ok' | 'refused' | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

interface Row {
  id: number;
  at: string;
  request_id: string;
  actor_kind: AuditRecord['actorKind'];
  actor: string;
  token_id: string | null;
  operator_id: string | null;
  role: string | null;
  method: string;
  route: string;
  target: string | null;
  status: number;
  error_code: string | null;
}

const toRecord = (r: Row): AuditRecord => ({
  id: r.id,
  at: r.at,
  requestId: r.request_id,
  actorKind: r.actor_kind,
  actor: r.actor,
  tokenId: r.token_id,
  operatorId: r.operator_id,
  role: r.role,
  method: r.method,
  route: r.route,
  target: r.target,
  status: r.status,
  errorCode: r.error_code,
});

/** The append-only `api_audit` table (migration 5): triggers refuse any update or delete. */
export class AuditStore {
  readonly #db: Db;
  readonly #insert;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO api_audit (at, request_id, actor_kind, actor, token_id, operator_id, role, method, route, target, status, error_code)
      VALUES (@at, @requestId, @actorKind, @actor, @tokenId, @operatorId, @role, @method, @route, @target, @status, @errorCode)`);
  }

  append(record: NewAuditRecord): void {
    this.#insert.run(record);
  }

  /** Newest first, a page at a time; `nextCursor` is the `before` of the next page, null at the end. */
  list(query: AuditQuery): { items: AuditRecord[]; nextCursor: number | null } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit + 1 };
    const add = (sql: string, name: string, value: unknown): void => {
      if (value === undefined) return;
      where.push(sql);
      params[name] = value;
    };
    add('id < @before', 'before', query.before);
    add('actor = @actor', 'actor', query.actor);
    add('route = @route', 'route', query.route);
    add('target = @target', 'target', query.target);
    add('at >= @from', 'from', query.from);
    add('at < @to', 'to', query.to);
    if (query.outcome === 'ok') where.push('status BETWEEN 200 AND 299');
    if (query.outcome === 'refused') where.push('status NOT BETWEEN 200 AND 299');
    const sql = `SELECT * FROM api_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
    const rows = this.#db.prepare<Record<string, unknown>, Row>(sql).all(params);
    const more = rows.length > query.limit;
    const items = rows.slice(0, query.limit).map(toRecord);
    return { items, nextCursor: more ? items[items.length - 1]!.id : null };
  }
}
