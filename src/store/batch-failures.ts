import type { Db } from './open-database.js';

/**
 * Failures of one batch: hubs of one work order sharing Device Model, hardware version and the
 * firmware they came in with. A common defect in a batch shows as one row with many failed hubs.
 */
export interface BatchFailures {
  workOrderId: string | null;
  model: string;
  hardwareVersion: number;
  firmwareBefore: string;
  /** Hubs of the batch with at least one finished attempt since `since`. */
  hubs: number;
  /** Of those, hubs with at least one FAILED or SCRAP attempt. */
  failedHubs: number;
  failedAttempts: number;
  /** Error codes of the failed attempts, most frequent first. */
  codes: Array<{ code: string; count: number }>;
}

interface Row {
  work_order_id: string | null;
  model: string;
  hardware_version: number;
  firmware_before: string;
  hubs: number;
  failed_hubs: number;
  failed_attempts: number;
  codes: string | null;
}

/** Reads failures grouped by batch from the attempts table; read-only. */
export class BatchFailureReader {
  readonly #stmt;

  constructor(db: Db) {
    this.#stmt = db.prepare<[string, number], Row>(`
      WITH a AS (
        SELECT a.work_order_id, h.model, h.hardware_version, a.firmware_before, a.device_id, a.result, a.error_code
        FROM attempts a JOIN hubs h ON h.device_id = a.device_id
        WHERE a.finished_at IS NOT NULL AND a.started_at >= ?
      ),
      b AS (
        SELECT work_order_id, model, hardware_version, firmware_before,
          COUNT(DISTINCT device_id) AS hubs,
          COUNT(DISTINCT CASE WHEN result IN ('FAILED', 'SCRAP') THEN device_id END) AS failed_hubs,
          SUM(result IN ('FAILED', 'SCRAP')) AS failed_attempts
        FROM a GROUP BY work_order_id, model, hardware_version, firmware_before
      ),
      c AS (
        SELECT work_order_id, model, hardware_version, firmware_before, COALESCE(error_code, 'INTERNAL') AS code, COUNT(*) AS n
        FROM a WHERE result IN ('FAILED', 'SCRAP') GROUP BY 1, 2, 3, 4, 5
      )
      SELECT b.*, (SELECT json_group_array(json_object('code', code, 'count', n)) FROM (
          SELECT code, n FROM c WHERE c.work_order_id IS b.work_order_id AND c.model = b.model AND c.hardware_version = b.hardware_version AND c.firmware_before = b.firmware_before
          ORDER BY n DESC, code)) AS codes
      FROM b WHERE b.failed_attempts > 0
      ORDER BY b.failed_hubs DESC, b.failed_attempts DESC, b.work_order_id, b.model
      LIMIT ?`);
  }

  /** Batches with failures among attempts started at or after `since` (ISO 8601), worst first. */
  read(since: string, limit = 50): BatchFailures[] {
    return this.#stmt.all(since, limit).map((r) => ({
      workOrderId: r.work_order_id,
      model: r.model,
      hardwareVersion: r.hardware_version,
      firmwareBefore: r.firmware_before,
      hubs: r.hubs,
      failedHubs: r.failed_hubs,
      failedAttempts: r.failed_attempts,
      codes: JSON.parse(r.codes ?? '[]') as BatchFailures['codes'],
    }));
  }
}
