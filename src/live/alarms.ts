import { statfs } from 'node:fs/promises';
import type { SlotView } from '../bench/slot-view.js';
import type { GuardsView } from '../domain/quality-guards.js';

export const ALARM_CODES = [
  'JIG_OFFLINE',
  'STORE_WRITE_FAILED',
  'N3_DEAD_LETTERS',
  'DISK_NEARLY_FULL',
  'UNKNOWN_ADAPTER',
  'STORE_FULL',
  'MODEL_HALTED',
  'SLOT_SUSPECT',
] as const;
export type AlarmCode = (typeof ALARM_CODES)[number];

/** Something the bench needs a person for; `help` is the anchor of what to do (docs/dashboard.md, "Alarms"). */
export interface Alarm {
  code: AlarmCode;
  severity: 'warning' | 'critical';
  message: string;
  help: string;
}

export interface AlarmFacts {
  jigs: Array<{ id: string; connected: boolean }>;
  slots: SlotView[];
  deadLetters: number;
  disk: { freeBytes: number; totalBytes: number } | null;
  /** Serial adapters plugged in while flashd runs that are no jig port of the config (one line each). */
  unknownAdapters?: string[];
  /** The quality guards' state; absent when the bench has none. */
  guards?: GuardsView | undefined;
}

/** Below either, the store's disk is nearly full: 5 % free, or 1 GiB. */
export const DISK_FREE_RATIO = 0.05;
export const DISK_FREE_BYTES = 1024 ** 3;

/** The alarms these facts raise, in a stable order (pure: tests and the bus share it). */
export function alarmsFrom(facts: AlarmFacts): Alarm[] {
  const alarms: Alarm[] = [];
  const offline = facts.jigs.filter((j) => !j.connected).map((j) => j.id);
  if (offline.length > 0) {
    alarms.push({ code: 'JIG_OFFLINE', severity: 'critical', message: `Jig ${offline.join(', ')} disconnected`, help: 'help-jig-offline' });
  }
  const unstored = facts.slots.filter((s) => s.error?.code === 'STORE_WRITE_FAILED').map((s) => `${s.jig}/${s.slot}`);
  if (unstored.length > 0) {
    alarms.push({ code: 'STORE_WRITE_FAILED', severity: 'critical', message: `Results not stored: slot ${unstored.join(', ')}`, help: 'help-store' });
  }
  const waiting = facts.slots.filter((s) => s.error?.code === 'STORE_FULL').map((s) => `${s.jig}/${s.slot}`);
  if (waiting.length > 0) {
    alarms.push({ code: 'STORE_FULL', severity: 'critical', message: `Store full, no new sessions: slot ${waiting.join(', ')} waiting`, help: 'help-store' });
  }
  if (facts.deadLetters > 0) {
    alarms.push({
      code: 'N3_DEAD_LETTERS',
      severity: 'warning',
      message: `${facts.deadLetters} N3 report${facts.deadLetters === 1 ? '' : 's'} not delivered`,
      help: 'help-n3',
    });
  }
  const { disk } = facts;
  if (disk && disk.totalBytes > 0 && (disk.freeBytes < DISK_FREE_BYTES || disk.freeBytes / disk.totalBytes < DISK_FREE_RATIO)) {
    const gib = (disk.freeBytes / 1024 ** 3).toFixed(1);
    alarms.push({ code: 'DISK_NEARLY_FULL', severity: 'critical', message: `Disk nearly full: ${gib} GiB free`, help: 'help-disk' });
  }
  const unknown = facts.unknownAdapters ?? [];
  if (unknown.length > 0) {
    alarms.push({ code: 'UNKNOWN_ADAPTER', severity: 'warning', message: `Unknown serial adapter plugged in: ${unknown.join(', ')}`, help: 'help-adapter' });
  }
  alarms.push(...guardAlarms(facts.guards));
  return alarms;
}

/** A halted model (its guard, or its failed canary) and each suspect slot, named so the technician knows what to stop. */
function guardAlarms(guards: GuardsView | undefined): Alarm[] {
  if (!guards) return [];
  const alarms: Alarm[] = [];
  const halted = [...guards.models.filter((m) => m.halted), ...guards.canaries.filter((c) => c.status === 'FAILED')].map(
    (m) => `${m.model} image ${m.version}`,
  );
  const unique = [...new Set(halted)];
  if (unique.length > 0) {
    alarms.push({ code: 'MODEL_HALTED', severity: 'critical', message: `Model halted: ${unique.join(', ')} (supervisor resumes)`, help: 'help-model-halted' });
  }
  const suspect = guards.slots.filter((s) => s.status !== 'IN_SERVICE').map((s) => `${s.jig}/${s.slot}`);
  if (suspect.length > 0) {
    alarms.push({ code: 'SLOT_SUSPECT', severity: 'warning', message: `Stop using slot ${suspect.join(', ')}`, help: 'help-slot-suspect' });
  }
  return alarms;
}

/** Free and total bytes of the file system holding `dir`; null when it cannot be read (the alarm cannot tell). */
export async function diskSpace(dir: string): Promise<AlarmFacts['disk']> {
  try {
    const s = await statfs(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}
