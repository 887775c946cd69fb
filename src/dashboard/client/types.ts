/**
 * The wire format of GET /api/v1/events and the routes the page calls (docs/api.md). The records
 * come from their one definition in src/records (type-only imports: esbuild strips them, nothing
 * of the server is bundled); the event shapes defined in src/live import Node modules, so the few
 * the page needs are restated here.
 */
import type { AttemptRecord } from '../../records/attempt.js';
import type { HubDetail } from '../../records/hub.js';
import type { WorkOrderRecord } from '../../records/work-order.js';
import type { SlotLed, SlotTile } from '../../live/slot-tile.js';

export type { AttemptRecord as Attempt, HubDetail, SlotLed, SlotTile, WorkOrderRecord as WorkOrder };

export interface Jig {
  id: string;
  connected: boolean;
}

export interface Alarm {
  code: string;
  severity: 'warning' | 'critical';
  message: string;
  help: string;
}

export interface Snapshot {
  bootId: string;
  lastEventId: string;
  operatorId: string;
  jigs: Jig[];
  slots: SlotTile[];
  alarms: Alarm[];
}

export interface ProgressEvent {
  jig: string;
  slot: number;
  progress: number;
  etaSeconds: number | null;
}

/** A batch with failures (GET /api/v1/batches, docs/quality-guards.md "Batch view"). */
export interface BatchFailures {
  workOrderId: string | null;
  model: string;
  hardwareVersion: number;
  firmwareBefore: string;
  hubs: number;
  failedHubs: number;
  failedAttempts: number;
  codes: Array<{ code: string; count: number }>;
}

export interface ShiftFigures {
  lastHour: number;
  today: number;
  perHourToday: number;
  firstPassYield: number | null;
  firstAttempts: number;
  failures: Array<{ code: string; count: number }>;
  hourly: Array<{ hour: string; done: number }>;
}
