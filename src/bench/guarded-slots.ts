import type { GuardActionRecord } from '../store/guard-store.js';
import type { LedColour } from '../jig/control-protocol.js';
import type { GuardKeeper } from './guard-keeper.js';
import { HELD_CODES } from './guard-hold.js';
import type { SlotSessionEnd } from './slot-session.js';
import type { SlotView } from './slot-view.js';

export interface GuardedSlotsOptions {
  guards: Pick<GuardKeeper, 'slotOpen' | 'wouldAdmit' | 'finished' | 'canaryStatus' | 'slotStatus' | 'on'>;
  view(jig: string, slot: number): SlotView;
  update(jig: string, slot: number, view: SlotView): void;
  /** No session runs in the slot and the bench is not stopping. */
  idle(jig: string, slot: number): boolean;
  start(jig: string, slot: number): void;
  setLed(jig: string, slot: number, colour: LedColour, blink: boolean): void;
}

interface Held {
  jig: string;
  slot: number;
  model: string;
  version: string;
}

/**
 * What the quality guards mean for the bench's slots: a suspect slot starts nothing and says so
 * (view and blinking amber LED); a hub held by a guard (WAITING_CANARY, MODEL_HALTED) waits in its
 * slot and starts by itself once the guards would let it through (a canary place frees, the
 * canary passes, a supervisor releases or resumes).
 */
export class GuardedSlots {
  readonly #o: GuardedSlotsOptions;
  readonly #held = new Map<string, Held>();

  constructor(options: GuardedSlotsOptions) {
    this.#o = options;
    options.guards.on('action', (action) => this.#onAction(action));
  }

  /** May a session start in the slot? If not, the slot shows why. */
  mayStart(jig: string, slot: number): boolean {
    const open = this.#o.guards.slotOpen(jig, slot);
    if (open.allowed) {
      this.#held.delete(key(jig, slot));
      return true;
    }
    this.#showSuspect(jig, slot, open.reason);
    return false;
  }

  /** A session ended: the guards learn its outcome; a hub they held is remembered. */
  finished(end: SlotSessionEnd): void {
    this.#o.guards.finished(end);
    const code = end.result.error?.code;
    const model = end.result.identity?.model;
    const version = end.result.targetFirmwareVersion;
    if (code !== undefined && HELD_CODES.has(code) && model && version)
      this.#held.set(key(end.jig, end.slot), { jig: end.jig, slot: end.slot, model, version });
  }

  /** The slot's session is gone: show it suspect if it became so, and let held hubs through. */
  afterSession(jig: string, slot: number): void {
    if (this.#o.guards.slotStatus(jig, slot) === 'SUSPECT' && this.#o.idle(jig, slot)) this.#showSuspect(jig, slot);
    this.#releaseHeld();
  }

  removed(jig: string, slot: number): void {
    this.#held.delete(key(jig, slot));
    if (this.#o.guards.slotStatus(jig, slot) === 'SUSPECT') this.#showSuspect(jig, slot);
  }

  #onAction(action: GuardActionRecord): void {
    const { jig, slot } = action;
    if (jig !== undefined && slot !== undefined && this.#o.idle(jig, slot)) {
      if (action.kind === 'SLOT_SUSPECT') this.#showSuspect(jig, slot, action.reason);
      if (action.kind === 'SLOT_RELEASED' || action.kind === 'SLOT_SELF_TEST') {
        const view = this.#o.view(jig, slot);
        if (view.present) this.#o.start(jig, slot);
        else {
          this.#o.update(jig, slot, { ...view, error: null });
          this.#o.setLed(jig, slot, 'OFF', false);
        }
      }
    }
    if ((action.kind === 'MODEL_HALTED' || action.kind === 'CANARY_FAILED') && action.model !== undefined)
      this.#showHalted(action.model, action.version, action.reason);
    this.#releaseHeld();
  }

  /** Hubs of a model that just halted, held while its canary ran, now wait for a supervisor: say so. */
  #showHalted(model: string, version: string | undefined, reason: string): void {
    for (const h of this.#held.values()) {
      if (h.model !== model || h.version !== version || !this.#o.idle(h.jig, h.slot)) continue;
      const view = this.#o.view(h.jig, h.slot);
      if (view.error?.code !== 'WAITING_CANARY') continue;
      this.#o.update(h.jig, h.slot, { ...view, error: { code: 'MODEL_HALTED', message: `model ${model} image ${version} is halted: ${reason}` } });
    }
  }

  /**
   * Starts the held hubs the guards would now let through. While a canary runs, one at a time per
   * model: each start takes a canary place, and the peek does not know of the others.
   */
  #releaseHeld(): void {
    const started = new Set<string>();
    for (const [k, h] of this.#held) {
      if (!this.#o.idle(h.jig, h.slot)) continue;
      const view = this.#o.view(h.jig, h.slot);
      if (!view.present || view.error === null || !HELD_CODES.has(view.error.code)) {
        this.#held.delete(k);
        continue;
      }
      const mv = `${h.model}/${h.version}`;
      if (started.has(mv) || !this.#o.guards.wouldAdmit(h)) continue;
      if (this.#o.guards.canaryStatus(h.model, h.version) === 'RUNNING') started.add(mv);
      this.#held.delete(k);
      this.#o.start(h.jig, h.slot);
    }
  }

  #showSuspect(jig: string, slot: number, reason?: string): void {
    const view = this.#o.view(jig, slot);
    const message = reason ?? (view.error?.code === 'SLOT_SUSPECT' ? view.error.message : `slot ${jig}/${slot} is out of service: stop using it`);
    this.#o.update(jig, slot, {
      ...view,
      phase: view.present ? 'DONE' : 'EMPTY',
      progress: view.present ? view.progress : 0,
      error: { code: 'SLOT_SUSPECT', message },
    });
    this.#o.setLed(jig, slot, 'AMBER', true);
  }
}

function key(jig: string, slot: number): string {
  return `${jig}/${slot}`;
}
