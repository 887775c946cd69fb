import { createHash } from 'node:crypto';
import type { Db } from '../../src/store/open-database.js';

export interface AgedStoreOptions {
  /** Hubs flashed, reported and returned before the run: a bench's year is ≈ 250,000 (docs/performance.md). */
  hubs: number;
  /** Hubs per work order (closed, all returned). Default 1,000. */
  perWorkOrder?: number;
}

const DAY_MS = 86_400_000;
const YEAR_START = Date.parse('2025-01-06T07:00:00.000Z');

/** A Device ID no generated stock uses: the first octet is fixed at A9, the rest count up. */
function agedDeviceId(n: number): string {
  const hex = n.toString(16).toUpperCase().padStart(14, '0');
  return `A9-${hex.match(/../g)!.join('-')}`;
}

/**
 * Fills a migrated, empty store with a bench's past: `hubs` hubs re-flashed on closed work orders,
 * each with its attempt, its N3 notification delivered, its journal rows (intake, attempt started
 * and finished, returned) and its hub events, as the daemon writes them, straight in SQL so a
 * year takes seconds. What the benchmark asks of it: that the daemon's cost per session does not
 * grow with what the store already holds (the `aged` rows of pipeline-overhead).
 */
export function fillAgedStore(db: Db, options: AgedStoreOptions): void {
  const perOrder = options.perWorkOrder ?? 1000;
  const sha = createHash('sha256').update('aged image').digest('hex');
  const stmts = {
    order: db.prepare(`INSERT INTO work_orders (id, sec_party_id, csp_region, state, source, created_at, created_by, closed_at, closed_by)
      VALUES (?, 'PARTY-AGED', 'South', 'CLOSED', 'api', ?, 'aged', ?, 'aged')`),
    hub: db.prepare(`INSERT INTO hubs (device_id, gpf_device_id, manufacturer, model, hardware_version, state, outcome, previous_firmware_version,
      firmware_version, attempt_count, first_seen_at, updated_at) VALUES (?, ?, 'ACME', 'ACME-CH-1', 1, 'FINISHED', 'REFLASHED', '1.0.0', '2.0.0', 1, ?, ?)`),
    attempt: db.prepare(`INSERT INTO attempts (device_id, bench_id, jig_id, slot, started_at, finished_at, result, firmware_before, firmware_target,
      firmware_after, image_sha256, hub_sha256, timings_json, work_order_id, operator_id)
      VALUES (?, 'BENCH-AGED', 'J1', ?, ?, ?, 'REFLASHED', '1.0.0', '2.0.0', '2.0.0', ?, ?, '{"transfer":3100}', ?, 'aged')`),
    orderHub: db.prepare(`INSERT INTO work_order_hubs (work_order_id, device_id, line, declared_model, declared_firmware_version, smi_status, smets_version,
      state, outcome, firmware_before, firmware_after, target_version, attempt_count, received_at, received_by, outcome_at, returned_at, returned_by, updated_at)
      VALUES (?, ?, ?, 'ACME-CH-1', '1.0.0', 'INSTALLED_NOT_COMMISSIONED', 'SMETS2', 'RETURNED', 'REFLASHED', '1.0.0', '2.0.0', '2.0.0', 1, ?, 'aged', ?, ?, 'aged', ?)`),
    event: db.prepare('INSERT INTO work_order_events (work_order_id, device_id, at, kind, operator_id, data_json) VALUES (?, ?, ?, ?, ?, ?)'),
    hubEvent: db.prepare('INSERT INTO hub_events (device_id, at, kind, data_json) VALUES (?, ?, ?, ?)'),
    outbox: db.prepare(`INSERT INTO n3_outbox (idempotency_key, device_id, work_order_id, attempt_id, outcome, payload_json, payload_sha256, created_at,
      state, attempts, delivered_at, delivered_status, last_attempt_at, last_status) VALUES (?, ?, ?, ?, 'REFLASHED', ?, ?, ?, 'DELIVERED', 1, ?, 200, ?, 200)`),
  };
  const orders = Math.ceil(options.hubs / perOrder);
  for (let o = 0; o < orders; o++) {
    // One work order a working day, its hubs spread over the day; one transaction each keeps memory flat.
    const day = YEAR_START + Math.floor((o * 7) / 5) * DAY_MS;
    const iso = (ms: number): string => new Date(ms).toISOString();
    const orderId = `WO-AGED-${String(o + 1).padStart(5, '0')}`;
    db.transaction(() => {
      stmts.order.run(orderId, iso(day - DAY_MS), iso(day + 10 * 3_600_000));
      stmts.event.run(orderId, null, iso(day - DAY_MS), 'work-order-created', 'aged', '{}');
      for (let i = 0; i < perOrder && o * perOrder + i < options.hubs; i++) {
        const n = o * perOrder + i;
        const deviceId = agedDeviceId(n);
        const at = day + i * 30_000;
        const started = iso(at);
        const finished = iso(at + 20_000);
        stmts.hub.run(deviceId, deviceId, started, finished);
        const attemptId = Number(stmts.attempt.run(deviceId, (i % 8) + 1, started, finished, sha, sha, orderId).lastInsertRowid);
        stmts.orderHub.run(orderId, deviceId, i + 1, iso(at - 3_600_000), finished, iso(day + 9 * 3_600_000), iso(day + 9 * 3_600_000));
        stmts.event.run(orderId, deviceId, iso(at - 3_600_000), 'intake-accepted', 'aged', '{"from":"EXPECTED","to":"ACCEPTED"}');
        stmts.event.run(orderId, deviceId, started, 'hub-attempt-started', 'aged', `{"from":"ACCEPTED","to":"FLASHING","attemptId":${attemptId}}`);
        stmts.event.run(orderId, deviceId, finished, 'hub-attempt-finished', 'aged', `{"from":"FLASHING","to":"REFLASHED","attemptId":${attemptId}}`);
        stmts.event.run(orderId, deviceId, iso(day + 9 * 3_600_000), 'hub-returned', 'aged', '{"from":"REFLASHED","to":"RETURNED"}');
        stmts.hubEvent.run(deviceId, started, 'attempt-started', `{"attemptId":${attemptId}}`);
        stmts.hubEvent.run(deviceId, finished, 'attempt-finished', `{"attemptId":${attemptId},"result":"REFLASHED"}`);
        const payload = `{"deviceId":"${deviceId}","workOrderId":"${orderId}","outcome":"REFLASHED","firmwareVersion":"2.0.0"}`;
        const delivered = iso(at + 21_000);
        stmts.outbox.run(
          `aged-${orderId}-${deviceId}`,
          deviceId,
          orderId,
          attemptId,
          payload,
          createHash('sha256').update(payload).digest('hex'),
          finished,
          delivered,
          delivered,
        );
      }
      stmts.event.run(orderId, null, iso(day + 10 * 3_600_000), 'work-order-closed', 'aged', '{}');
    })();
  }
}
