import type { Statement } from 'better-sqlite3';
import type { GuardAction, GuardActionKind } from '../domain/guard-action.js';
import type { Db } from './open-database.js';

interface GuardActionRow {
  id: number;
  at: string;
  kind: GuardActionKind;
  model: string | null;
  version: string | null;
  jig_id: string | null;
  slot: number | null;
  by: string;
  reason: string;
}

/** A recorded guard action and its row id. */
export type GuardActionRecord = GuardAction & { id: number };

/** The append-only record of quality-guard halts, passes and releases (table `guard_actions`, migration 5). */
export class GuardStore {
  readonly #insert: Statement<[string, string, string | null, string | null, string | null, number | null, string, string]>;
  readonly #all: Statement<[], GuardActionRow>;
  readonly #recent: Statement<[number], GuardActionRow>;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO guard_actions (at, kind, model, version, jig_id, slot, by, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#all = db.prepare('SELECT * FROM guard_actions ORDER BY id');
    this.#recent = db.prepare('SELECT * FROM guard_actions ORDER BY id DESC LIMIT ?');
  }

  record(a: GuardAction): GuardActionRecord {
    const { lastInsertRowid } = this.#insert.run(a.at, a.kind, a.model ?? null, a.version ?? null, a.jig ?? null, a.slot ?? null, a.by, a.reason);
    return { ...a, id: Number(lastInsertRowid) };
  }

  /** Every action, oldest first: what the guards replay at start. */
  all(): GuardActionRecord[] {
    return this.#all.all().map(toRecord);
  }

  /** The newest `limit` actions, newest first. */
  recent(limit: number): GuardActionRecord[] {
    return this.#recent.all(limit).map(toRecord);
  }
}

function toRecord(r: GuardActionRow): GuardActionRecord {
  return {
    id: r.id,
    at: r.at,
    kind: r.kind,
    ...(r.model === null ? {} : { model: r.model }),
    ...(r.version === null ? {} : { version: r.version }),
    ...(r.jig_id === null ? {} : { jig: r.jig_id }),
    ...(r.slot === null ? {} : { slot: r.slot }),
    by: r.by,
    reason: r.reason,
  };
}
