import { applyFault, type FaultSite } from './fault-apply.js';
import type { HubPhaseEvent } from './hub-responder.js';
import type { Fault, FaultKind, FaultTarget, FaultWhen, Scenario } from './scenario.js';
import type { Simulator } from './simulator.js';
import type { VirtualHub } from './virtual-hub.js';
import type { SimSlot, VirtualJig } from './virtual-jig.js';

/** One fault that happened: the scenario's log, and part of the ground truth. */
export interface FiredFault {
  /** ms since the scenario started. */
  atMs: number;
  /** Index in the scenario's fault list, or -1 for a fault injected through an action. */
  index: number;
  kind: FaultKind;
  what: string;
}

type PhaseWhen = Extract<FaultWhen, { phase: string }>;

/**
 * Runs a scenario on a simulator: sets link timing, then makes each fault happen when its trigger
 * says: at start, `afterMs` into the run, or when a targeted hub reaches a phase (on its Nth
 * attempt, at a byte offset or share of a transfer). A phase trigger fires once per hub. A fault
 * aimed at a Device ID that is not in a slot yet waits until that hub is inserted.
 */
export class FaultEngine {
  readonly fired: FiredFault[] = [];
  readonly #sim: Simulator;
  readonly #scenario: Scenario;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #firedFor = new Map<number, Set<string>>();
  readonly #waitingFor = new Map<string, number[]>();
  #startedAt = 0;
  #running = false;

  constructor(sim: Simulator, scenario: Scenario) {
    this.#sim = sim;
    this.#scenario = scenario;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = performance.now();
    const s = this.#scenario;
    for (const line of this.#lines()) {
      if (s.seed) line.line.reseed(`${s.seed}/${line.line.name}`);
      if (s.link) line.line.setTiming(s.link);
    }
    for (const entry of s.slots ?? []) this.#sim.jig(entry.jig).slot(entry.slot).line.setTiming(entry.link);
    this.#sim.on('phase', this.#onPhase);
    this.#sim.on('inserted', this.#onInserted);
    s.faults.forEach((fault, index) => {
      const when = fault.when;
      if (!when) this.#fireAtSites(fault, index);
      else if ('afterMs' in when) this.#later(when.afterMs, () => this.#fireAtSites(fault, index));
    });
  }

  /** Makes a fault happen now (an action from the control API or the CLI). */
  inject(fault: Fault): FiredFault[] {
    const before = this.fired.length;
    this.#fireAtSites(fault, -1);
    return this.fired.slice(before);
  }

  stop(): void {
    this.#running = false;
    this.#sim.off('phase', this.#onPhase);
    this.#sim.off('inserted', this.#onInserted);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  *#lines(): Generator<{ jig: VirtualJig; line: VirtualJig['control'] }> {
    for (const jig of this.#sim.jigs) {
      yield { jig, line: jig.control };
      for (const slot of jig.slots) yield { jig, line: slot.line };
    }
  }

  #fire(fault: Fault, index: number, site: FaultSite): void {
    const what = applyFault(this.#sim, fault, site, (ms, fn) => this.#later(ms, fn));
    this.fired.push({ atMs: Math.round(performance.now() - this.#startedAt), index, kind: fault.kind, what });
  }

  /** Fires at every site the target names now; a Device ID not in a slot waits for its insertion. */
  #fireAtSites(fault: Fault, index: number): void {
    const target = fault.target;
    if (target && 'deviceId' in target) {
      const found = this.#sim.findHub(target.deviceId);
      if (found?.slot || (found && !isSlotFault(fault.kind))) this.#fire(fault, index, { jig: found.jig, slot: found.slot, hub: found.hub });
      else this.#waitingFor.set(target.deviceId, [...(this.#waitingFor.get(target.deviceId) ?? []), index]);
      return;
    }
    if (fault.kind === 'control-disconnect' || fault.kind === 'jig-reboot' || ('line' in fault && fault.line === 'control')) {
      if (target && 'jig' in target) this.#fire(fault, index, { jig: this.#sim.jig(target.jig), slot: undefined, hub: undefined });
      return;
    }
    for (const { jig, slot } of this.#sim.slots()) {
      // A hub fault hits the hubs in the slots now; a slot fault hits the slot, full or empty.
      if (matchesSlot(target, jig, slot) && (slot.hub || isSlotFault(fault.kind))) this.#fire(fault, index, { jig, slot, hub: slot.hub });
    }
  }

  readonly #onInserted = (jig: VirtualJig, slot: SimSlot, hub: VirtualHub): void => {
    const waiting = this.#waitingFor.get(hub.deviceId);
    if (!waiting) return;
    this.#waitingFor.delete(hub.deviceId);
    for (const index of waiting) this.#fire(this.#scenario.faults[index]!, index, { jig, slot, hub });
  };

  readonly #onPhase = (jig: VirtualJig, slot: SimSlot, hub: VirtualHub, event: HubPhaseEvent): void => {
    this.#scenario.faults.forEach((fault, index) => {
      const when = fault.when;
      if (!when || !('phase' in when) || !phaseMatches(when, event)) return;
      if (fault.target && 'deviceId' in fault.target ? fault.target.deviceId !== hub.deviceId : !matchesSlot(fault.target, jig, slot)) return;
      const done = this.#firedFor.get(index) ?? new Set<string>();
      if (done.has(hub.deviceId)) return;
      done.add(hub.deviceId);
      this.#firedFor.set(index, done);
      this.#fire(fault, index, { jig, slot, hub });
    });
  };

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#running) fn();
    }, ms);
    this.#timers.add(timer);
  }
}

/** Faults that act on a slot (its line or its power) rather than on a hub wherever it is. */
function isSlotFault(kind: FaultKind): boolean {
  return ['bit-errors', 'drop-bytes', 'duplicate-bytes', 'garbage', 'brown-out', 'remove'].includes(kind);
}

function matchesSlot(target: FaultTarget | undefined, jig: VirtualJig, slot: SimSlot): boolean {
  if (!target) return true;
  if ('deviceId' in target) return slot.hub?.deviceId === target.deviceId;
  if (jig.id !== `JIG-${target.jig}`) return false;
  return !('slot' in target) || target.slot === slot.number;
}

function phaseMatches(when: PhaseWhen, event: HubPhaseEvent): boolean {
  if (when.phase !== event.phase || (when.attempt ?? 1) !== event.attempt) return false;
  if (when.offset !== undefined) return (event.offset ?? 0) >= when.offset;
  if (when.percent !== undefined) return event.sizeBytes !== undefined && ((event.offset ?? 0) / event.sizeBytes) * 100 >= when.percent;
  return true;
}
