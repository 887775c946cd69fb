import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type { MockN3Server } from './mock-n3-server.js';

/** An outcome the child said it committed (printed after the commit returned). */
export type Ack =
  { kind: 'attempt'; attemptId: number; workOrderId: string; deviceId: string; state: string } | { kind: 'scrap'; workOrderId: string; deviceId: string };

export function parseAcks(stdout: string): Ack[] {
  const acks: Ack[] = [];
  for (const line of stdout.split('\n')) {
    const [tag, a, wo, deviceId, state] = line.split(' ');
    if (tag !== 'ACK' || state === undefined) continue; // a line cut by the kill was not acknowledged
    acks.push(
      a === 'scrap'
        ? { kind: 'scrap', workOrderId: wo!, deviceId: deviceId! }
        : { kind: 'attempt', attemptId: Number(a), workOrderId: wo!, deviceId: deviceId!, state },
    );
  }
  return acks;
}

interface Row {
  key: string;
  wo: string;
  deviceId: string;
  attemptId: number;
  outcome: string;
  state: string;
  body: string;
  sha: string;
}

/**
 * Opens the store a killed daemon left behind and lists every way a result could have been lost or
 * reported wrongly; an empty list means none. Checks SQLite's integrity, every acknowledged outcome
 * with its outbox row, outcomes and rows one to one, each row's hash, and against the server: no
 * key it accepted is unknown to the store or carries other bytes, and no row is DELIVERED that the
 * server did not accept.
 */
export function outboxViolations(dbPath: string, acks: readonly Ack[], server: MockN3Server): string[] {
  const db = new Database(dbPath);
  try {
    const problems: string[] = [];
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const rows = db
      .prepare(
        `SELECT idempotency_key AS key, work_order_id AS wo, device_id AS deviceId, attempt_id AS attemptId, outcome, state, payload_json AS body,
        payload_sha256 AS sha FROM n3_outbox ORDER BY id`,
      )
      .all() as Row[];
    const byHub = new Map(rows.map((r) => [`${r.wo} ${r.deviceId}`, r]));
    for (const ack of acks) {
      const row = byHub.get(`${ack.workOrderId} ${ack.deviceId}`);
      if (ack.kind === 'scrap' && row?.outcome !== 'SCRAP') problems.push(`acknowledged scrap of ${ack.deviceId} on ${ack.workOrderId} has no SCRAP row`);
      if (ack.kind === 'attempt' && (ack.state === 'REFLASHED' || ack.state === 'ALREADY_CURRENT') && row?.attemptId !== ack.attemptId) {
        problems.push(`acknowledged ${ack.state} (attempt ${ack.attemptId}) of ${ack.deviceId} has no row`);
      }
    }
    const finals = db
      .prepare(
        `SELECT work_order_id || ' ' || device_id AS hub FROM work_order_hubs WHERE (outcome IN ('REFLASHED', 'ALREADY_CURRENT')
        AND state IN ('REFLASHED', 'ALREADY_CURRENT', 'RETURNED')) OR state = 'SCRAPPED'`,
      )
      .pluck()
      .all() as string[];
    const reported = new Set(byHub.keys());
    for (const hub of finals) if (!reported.has(hub)) problems.push(`final outcome of ${hub} has no outbox row`);
    if (reported.size !== finals.length) problems.push(`${reported.size} rows for ${finals.length} final outcomes`);
    if (rows.length !== reported.size) problems.push('two rows for one hub on one work order');
    for (const r of rows) if (createHash('sha256').update(r.body).digest('hex') !== r.sha) problems.push(`row ${r.key}: payload does not match its SHA-256`);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const a of server.acceptances) {
      const row = byKey.get(a.key);
      if (!row) problems.push(`server accepted ${a.key}, which the store does not hold`);
      else if (row.body !== a.body) problems.push(`server accepted other bytes for ${a.key}`);
    }
    for (const q of server.received)
      if (q.key && byKey.has(q.key) && byKey.get(q.key)!.body !== q.body) problems.push(`a request for ${q.key} carried other bytes`);
    const accepted = server.acceptedKeys;
    for (const r of rows) if (r.state === 'DELIVERED' && !accepted.has(r.key)) problems.push(`${r.key} is DELIVERED but the server never accepted it`);
    return problems;
  } finally {
    db.close();
  }
}

/** Per Device ID, the keys in commit order and in the order the server accepted them. */
export function deviceOrders(dbPath: string, server: MockN3Server): { committed: Map<string, string[]>; accepted: Map<string, string[]> } {
  const db = new Database(dbPath, { readonly: true });
  const committed = new Map<string, string[]>();
  for (const r of db.prepare('SELECT device_id AS d, idempotency_key AS k FROM n3_outbox ORDER BY id').all() as { d: string; k: string }[]) {
    committed.set(r.d, [...(committed.get(r.d) ?? []), r.k]);
  }
  db.close();
  const accepted = new Map<string, string[]>();
  for (const a of server.acceptances) accepted.set(a.deviceId, [...(accepted.get(a.deviceId) ?? []), a.key]);
  return { committed, accepted };
}
