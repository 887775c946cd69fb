import type { Db } from './open-database.js';
import { startOfLocalDay } from '../domain/shift-day.js';

/** The shift panel's figures (docs/dashboard.md, "Shift"): throughput, first-pass yield, what fails. */
export interface ShiftFigures {
  /** Start of "today" (local midnight) and the time the figures were taken, ISO 8601. */
  since: string;
  at: string;
  /** Hubs that reached REFLASHED or ALREADY_CURRENT in the last 60 minutes. */
  lastHour: number;
  /** The same since midnight, and as an hourly rate over the time since today's first attempt. */
  today: number;
  perHourToday: number;
  /** Of the hubs whose first attempt today finished (rejections aside), the share that passed at once; null before any. */
  firstPassYield: number | null;
  firstAttempts: number;
  /** Failed and scrap attempts today by error code, most frequent first (at most 8). */
  failures: Array<{ code: string; count: number }>;
  /** Hubs done per UTC hour today, oldest first: `hour` is the hour's start, ISO 8601. */
  hourly: Array<{ hour: string; done: number }>;
}

const DONE = "('REFLASHED', 'ALREADY_CURRENT')";

/** Reads the shift figures from the attempts table; read-only, one short query each, prepared once. */
export class ShiftFigureReader {
  readonly #now: () => Date;
  readonly #s;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.#now = now;
    this.#s = {
      done: db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM attempts WHERE result IN ${DONE} AND finished_at >= ?`),
      firstStart: db.prepare<[string], { t: string | null }>('SELECT MIN(started_at) AS t FROM attempts WHERE started_at >= ?'),
      firstPass: db.prepare<[string], { passed: number; total: number }>(
        `SELECT COALESCE(SUM(a.result IN ${DONE}), 0) AS passed, COUNT(*) AS total FROM attempts a
         WHERE a.id IN (SELECT MIN(id) FROM attempts INDEXED BY attempts_by_start WHERE started_at >= ? GROUP BY device_id)
           AND a.result IS NOT NULL AND a.result NOT IN ('REJECTED', 'INTERRUPTED')`,
      ),
      failures: db.prepare<[string], { code: string; count: number }>(
        `SELECT COALESCE(error_code, 'UNKNOWN') AS code, COUNT(*) AS count FROM attempts
         WHERE result IN ('FAILED', 'SCRAP') AND finished_at >= ? GROUP BY code ORDER BY count DESC, code LIMIT 8`,
      ),
      hourly: db.prepare<[string], { hour: string; done: number }>(
        `SELECT substr(finished_at, 1, 13) || ':00:00.000Z' AS hour, COUNT(*) AS done FROM attempts
         WHERE result IN ${DONE} AND finished_at >= ? GROUP BY hour ORDER BY hour`,
      ),
    };
  }

  read(): ShiftFigures {
    const now = this.#now();
    const since = startOfLocalDay(now);
    const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
    const today = this.#s.done.get(since)!.n;
    const first = this.#s.firstStart.get(since)!.t;
    const hours = first === null ? 0 : Math.max(5 / 60, (now.getTime() - Date.parse(first)) / 3_600_000);
    const fpy = this.#s.firstPass.get(since)!;
    return {
      since,
      at: now.toISOString(),
      lastHour: this.#s.done.get(hourAgo)!.n,
      today,
      perHourToday: hours === 0 ? 0 : Math.round(today / hours),
      firstPassYield: fpy.total === 0 ? null : fpy.passed / fpy.total,
      firstAttempts: fpy.total,
      failures: this.#s.failures.all(since),
      hourly: this.#s.hourly.all(since),
    };
  }
}
