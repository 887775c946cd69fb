import { GUARD_SELF, slotKey, type GuardAction } from './guard-action.js';
import type { OutcomeClass } from './guard-outcome.js';

/** `guards.slot` in the config (docs/quality-guards.md gives the reasoning). */
export interface SlotThresholds {
  /** Last sessions per slot the window holds. Default 8. */
  windowSessions: number;
  /** Slot faults in the window that take the slot out of service. Default 5. */
  minFaults: number;
}

export type SlotStatus = 'IN_SERVICE' | 'SUSPECT' | 'SELF_TEST';

export interface SlotGuardView {
  jig: string;
  slot: number;
  status: SlotStatus;
  reason: string | null;
  sessions: number;
  faults: number;
}

/** `fault`: the slot's. `unexplained`: the hub failed; it becomes the slot's once the hub passes in another slot. */
type Entry = { kind: 'ok' } | { kind: 'fault' } | { kind: 'unexplained'; deviceId: string };

interface SlotState {
  jig: string;
  slot: number;
  window: Entry[];
  status: SlotStatus;
  reason: string | null;
}

/**
 * The slot guard: per slot, a window of its last sessions. Line faults count against the slot
 * at once; a hub failure counts against it once the same hub passes in another slot (the hub did
 * not explain it). At `minFaults` the slot is SUSPECT: no session starts there. A supervisor's
 * release, or a self-test (one session the supervisor allows, which must pass), brings it back with
 * an empty window. Pure.
 */
export class SlotGuard {
  readonly #t: SlotThresholds;
  readonly #slots = new Map<string, SlotState>();

  constructor(thresholds: SlotThresholds) {
    if (!Number.isInteger(thresholds.windowSessions) || thresholds.windowSessions < 1)
      throw new RangeError(`slot windowSessions must be an integer >= 1, got ${thresholds.windowSessions}`);
    if (!Number.isInteger(thresholds.minFaults) || thresholds.minFaults < 1 || thresholds.minFaults > thresholds.windowSessions) {
      throw new RangeError(`slot minFaults must be an integer in 1..windowSessions, got ${thresholds.minFaults}`);
    }
    this.#t = thresholds;
  }

  status(jig: string, slot: number): SlotStatus {
    return this.#slots.get(slotKey(jig, slot))?.status ?? 'IN_SERVICE';
  }

  reason(jig: string, slot: number): string | null {
    return this.#slots.get(slotKey(jig, slot))?.reason ?? null;
  }

  /** A session on the slot ended. Returns the slots this makes suspect (this one, or one the hub failed in before) or releases (a self-test). */
  finished(jig: string, slot: number, cls: OutcomeClass, deviceId: string | null, at: string): GuardAction[] {
    if (cls === 'ignored') return [];
    const s = this.#get(jig, slot);
    if (s.status === 'SELF_TEST') {
      if (cls === 'pass')
        return [this.apply({ kind: 'SLOT_RELEASED', jig, slot, by: GUARD_SELF, reason: `self-test passed${deviceId ? ` with hub ${deviceId}` : ''}`, at })];
      return [this.apply({ kind: 'SLOT_SUSPECT', jig, slot, by: GUARD_SELF, reason: 'self-test failed', at })];
    }
    const actions: GuardAction[] = [];
    if (cls === 'pass' && deviceId !== null) {
      // Evidence: the hub that failed elsewhere works here, so those failures were the other slots'.
      for (const other of this.#slots.values()) {
        if (other === s) continue;
        let explained = false;
        other.window = other.window.map((e) => (e.kind === 'unexplained' && e.deviceId === deviceId ? ((explained = true), { kind: 'fault' }) : e));
        if (explained) actions.push(...this.#judge(other, at));
      }
    }
    push(
      s.window,
      cls === 'pass' ? { kind: 'ok' } : cls === 'link-fault' || deviceId === null ? { kind: 'fault' } : { kind: 'unexplained', deviceId },
      this.#t.windowSessions,
    );
    actions.push(...this.#judge(s, at));
    return actions;
  }

  apply(action: GuardAction): GuardAction {
    if (action.jig === undefined || action.slot === undefined) return action;
    const s = this.#get(action.jig, action.slot);
    switch (action.kind) {
      case 'SLOT_SUSPECT':
        s.status = 'SUSPECT';
        s.reason = action.reason;
        break;
      case 'SLOT_SELF_TEST':
        if (s.status === 'SUSPECT') s.status = 'SELF_TEST';
        break;
      case 'SLOT_RELEASED':
        s.status = 'IN_SERVICE';
        s.reason = null;
        s.window = [];
        break;
      default:
        break;
    }
    return action;
  }

  views(): SlotGuardView[] {
    return [...this.#slots.values()].map((s) => ({
      jig: s.jig,
      slot: s.slot,
      status: s.status,
      reason: s.reason,
      sessions: s.window.length,
      faults: faults(s.window),
    }));
  }

  #judge(s: SlotState, at: string): GuardAction[] {
    if (s.status !== 'IN_SERVICE') return [];
    const n = faults(s.window);
    if (n < this.#t.minFaults) return [];
    const reason = `${n} of the last ${s.window.length} sessions in slot ${s.jig}/${s.slot} failed on the line or in a way their hubs did not explain (threshold ${this.#t.minFaults}): stop using the slot`;
    return [this.apply({ kind: 'SLOT_SUSPECT', jig: s.jig, slot: s.slot, by: GUARD_SELF, reason, at })];
  }

  #get(jig: string, slot: number): SlotState {
    const key = slotKey(jig, slot);
    let s = this.#slots.get(key);
    if (!s) this.#slots.set(key, (s = { jig, slot, window: [], status: 'IN_SERVICE', reason: null }));
    return s;
  }
}

function push(window: Entry[], entry: Entry, max: number): void {
  window.push(entry);
  if (window.length > max) window.shift();
}

function faults(window: readonly Entry[]): number {
  return window.filter((e) => e.kind === 'fault').length;
}
