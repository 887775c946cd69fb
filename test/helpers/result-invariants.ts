import Database from 'better-sqlite3';

/** What the store had committed when last looked at: each finished attempt's result, each outbox row's hash and delivery. */
export interface CommittedSnapshot {
  attempts: Map<number, string>;
  outbox: Map<string, { sha: string; delivered: boolean }>;
}

export function emptySnapshot(): CommittedSnapshot {
  return { attempts: new Map(), outbox: new Map() };
}

/**
 * Reads the store a killed daemon left and lists every committed result that was lost or changed
 * since `before` (a finished attempt gone or with another result, an outbox row gone, rewritten or
 * no longer DELIVERED), and every REFLASHED that does not rest on a verified hash and a read-back
 * (attempt: verified_at, hub hash = image hash, version read back = target; work-order hub: a
 * REFLASHED attempt of its own that read back its firmware_after). Returns the problems and the new snapshot.
 */
export function committedViolations(dbPath: string, before: CommittedSnapshot): { problems: string[]; snapshot: CommittedSnapshot } {
  const db = new Database(dbPath, { readonly: true });
  try {
    const problems: string[] = [];
    const attempts = new Map(
      (db.prepare('SELECT id, result FROM attempts WHERE finished_at IS NOT NULL').all() as Array<{ id: number; result: string }>).map((r) => [r.id, r.result]),
    );
    for (const [id, result] of before.attempts) {
      const now = attempts.get(id);
      if (now !== result) problems.push(`attempt ${id} was committed as ${result}, now ${now ?? 'missing'}`);
    }
    const outbox = new Map(
      (db.prepare('SELECT idempotency_key AS k, payload_sha256 AS sha, state FROM n3_outbox').all() as Array<{ k: string; sha: string; state: string }>).map(
        (r) => [r.k, { sha: r.sha, delivered: r.state === 'DELIVERED' }],
      ),
    );
    for (const [key, row] of before.outbox) {
      const now = outbox.get(key);
      if (!now) problems.push(`outbox row ${key} was committed, now missing`);
      else if (now.sha !== row.sha) problems.push(`outbox row ${key} changed its payload`);
      else if (row.delivered && !now.delivered) problems.push(`outbox row ${key} was DELIVERED, now not`);
    }
    const unverified = db
      .prepare(
        `SELECT id FROM attempts WHERE result = 'REFLASHED' AND NOT (verified_at IS NOT NULL AND hub_sha256 IS NOT NULL
        AND hub_sha256 = image_sha256 AND firmware_after IS NOT NULL AND firmware_after = firmware_target)`,
      )
      .pluck()
      .all() as number[];
    for (const id of unverified) problems.push(`attempt ${id} is REFLASHED without a verified hash and read-back`);
    const orphans = db
      .prepare(
        `SELECT h.work_order_id || ' ' || h.device_id FROM work_order_hubs h WHERE h.outcome = 'REFLASHED' AND NOT EXISTS (
        SELECT 1 FROM attempts a WHERE a.work_order_id = h.work_order_id AND a.device_id = h.device_id AND a.result = 'REFLASHED'
        AND a.verified_at IS NOT NULL AND a.firmware_after = h.firmware_after)`,
      )
      .pluck()
      .all() as string[];
    for (const hub of orphans) problems.push(`${hub} is REFLASHED without a verified, read-back attempt`);
    return { problems, snapshot: { attempts, outbox } };
  } finally {
    db.close();
  }
}
