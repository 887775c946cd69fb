/** The wire format of GET /api/v1/events and the routes the page calls (docs/api.md). */
export interface SlotLed {
  colour: 'OFF' | 'BLUE' | 'GREEN' | 'AMBER' | 'RED';
  blink: boolean;
}

export interface SlotTile {
  jig: string;
  slot: number;
  present: boolean;
  phase: string;
  progress: number;
  deviceId: string | null;
  model: string | null;
  firmwareVersion: string | null;
  targetVersion: string | null;
  result: string | null;
  error: { code: string; message: string } | null;
  workOrderId: string | null;
  hubState: string | null;
  updatedAt: string;
  led: SlotLed;
  etaSeconds: number | null;
}

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

export interface WorkOrder {
  id: string;
  secPartyId: string;
  state: string;
  counts: Record<string, number>;
  hubCount: number;
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

export interface Attempt {
  id: number;
  jigId: string;
  slot: number;
  startedAt: string;
  finishedAt: string | null;
  result: string | null;
  firmwareBefore: string;
  firmwareAfter: string | null;
  error: { code: string; message: string; phase: string | null } | null;
  timings: Record<string, number>;
  operatorId: string | null;
  workOrderId: string | null;
}

export interface HubDetail {
  deviceId: string;
  model: string;
  outcome: string | null;
  firmwareVersion: string;
  attempts: Attempt[];
}
