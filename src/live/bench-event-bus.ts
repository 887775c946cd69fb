import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Bench } from '../bench/bench.js';
import type { SlotSessionEnd } from '../bench/slot-session.js';
import type { SlotView } from '../bench/slot-view.js';
import type { IntakeStore } from '../store/intake-store.js';
import type { OutboxStore } from '../store/outbox-store.js';
import { alarmsFrom, diskSpace, type Alarm, type AlarmFacts } from './alarms.js';
import type { GuardKeeper as GuardsSource } from '../bench/guard-keeper.js';
import { EventLog, type StampedEvent } from './event-log.js';
import { ProgressCoalescer } from './progress-coalescer.js';
import { slotLed, type SlotTile } from './slot-tile.js';

/** What a client gets first, and again whenever it cannot resume: the whole bench as of `lastEventId`. */
export interface BenchSnapshot {
  bootId: string;
  lastEventId: string;
  operatorId: string;
  jigs: Array<{ id: string; connected: boolean }>;
  slots: SlotTile[];
  alarms: Alarm[];
}

export interface ProgressEvent {
  jig: string;
  slot: number;
  progress: number;
  etaSeconds: number | null;
}

export interface BenchEventBusOptions {
  bench: Pick<Bench, 'slots' | 'jigs' | 'operatorId'> &
    Pick<EventEmitter<{ slot: [SlotView]; finished: [SlotSessionEnd]; jig: [string, boolean, string | null] }>, 'on' | 'off'>;
  outbox: Pick<OutboxStore, 'summary'>;
  /** Folder of the SQLite store: its file system is watched for free space. */
  storeDir: string;
  log?: Logger | undefined;
  /** Events kept for resuming clients. Default 4096. */
  capacity?: number;
  /** At most one progress event per slot per this many ms. Default 250 (4 a second). */
  progressIntervalMs?: number;
  /** How often dead letters and disk space are looked at. Default 10 s. */
  checkIntervalMs?: number;
  /**
   * After a result they are looked at again, at most once per this many ms: the first result
   * after a quiet spell at once, the others of the spell together at its end. Default 1 s.
   */
  resultCheckMs?: number;
  now?: () => number;
  /** The quality guards: their halts and suspect slots are alarms; each of their actions re-reads them. */
  guards?:
    (Pick<GuardsSource, 'view'> & { on(event: 'action', listener: () => void): unknown; off(event: 'action', listener: () => void): unknown }) | undefined;
}

interface TransferClock {
  startedAtMs: number;
  startProgress: number;
}

/**
 * Turns the bench's own events (slot views, results, jig links) and intake scans into the
 * numbered stream `GET /api/v1/events` serves: full slot events when anything but progress
 * changes, coalesced progress events, results, jig link up/down, intake decisions, and the alarm
 * list whenever it changes. `start()`/`stop()` are idempotent.
 */
export class BenchEventBus {
  readonly log: EventLog;
  readonly #o: BenchEventBusOptions;
  readonly #now: () => number;
  readonly #views = new Map<string, SlotView>();
  readonly #clocks = new Map<string, TransferClock>();
  readonly #progress: ProgressCoalescer<ProgressEvent>;
  #alarms: Alarm[] = [];
  #facts: Pick<AlarmFacts, 'deadLetters' | 'disk'> = { deadLetters: 0, disk: null };
  #unknownAdapters: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #resultCheck: NodeJS.Timeout | undefined;
  #lastCheckMs = -Infinity;
  #started = false;
  readonly #onSlot = (view: SlotView): void => this.#slot(view);
  readonly #onFinished = (end: SlotSessionEnd): void => this.#finished(end);
  readonly #onGuard = (): void => this.#raise();
  readonly #onJig = (id: string, connected: boolean, reason: string | null): void => {
    this.log.publish('jig', { id, connected, reason });
    this.#raise();
  };

  constructor(options: BenchEventBusOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.log = new EventLog({ capacity: options.capacity });
    this.#progress = new ProgressCoalescer<ProgressEvent>({
      intervalMs: options.progressIntervalMs,
      now: this.#now,
      send: (_key, event) => void this.log.publish('progress', event),
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const view of this.#o.bench.slots()) this.#views.set(key(view), view);
    this.#o.bench.on('slot', this.#onSlot);
    this.#o.bench.on('finished', this.#onFinished);
    this.#o.bench.on('jig', this.#onJig);
    this.#o.guards?.on('action', this.#onGuard);
    this.#raise();
    void this.#check();
    this.#timer = setInterval(() => void this.#check(), this.#o.checkIntervalMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    if (!this.#started) return;
    this.#started = false;
    this.#o.bench.off('slot', this.#onSlot);
    this.#o.bench.off('finished', this.#onFinished);
    this.#o.bench.off('jig', this.#onJig);
    this.#o.guards?.off('action', this.#onGuard);
    clearInterval(this.#timer);
    clearTimeout(this.#resultCheck);
    this.#resultCheck = undefined;
    this.#progress.stop();
  }

  snapshot(): BenchSnapshot {
    return {
      bootId: this.log.bootId,
      lastEventId: this.log.lastId,
      operatorId: this.#o.bench.operatorId,
      jigs: this.#o.bench.jigs(),
      slots: this.#o.bench.slots().map((v) => this.#tile(v)),
      alarms: this.#alarms,
    };
  }

  get alarms(): Alarm[] {
    return this.#alarms;
  }

  /** The intake store, with every scan's decision published as an `intake` event. */
  observeIntake<T extends Pick<IntakeStore, 'scan'>>(intake: T): T {
    return new Proxy(intake, {
      get: (target, prop, receiver) => {
        if (prop !== 'scan') {
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        return (scan: Parameters<IntakeStore['scan']>[0]) => {
          const result = target.scan(scan);
          const refusal = result.decision === 'REJECTED' ? { code: result.code, message: result.message } : {};
          this.log.publish('intake', {
            deviceId: result.deviceId,
            decision: result.decision,
            workOrderId: result.workOrderId,
            operatorId: scan.operatorId,
            ...refusal,
          });
          return result;
        };
      },
    });
  }

  /** Subscribes `listener` to events from now on; returns the unsubscribe. */
  subscribe(listener: (event: StampedEvent) => void): () => void {
    this.log.on('event', listener);
    return () => void this.log.off('event', listener);
  }

  #slot(view: SlotView): void {
    const k = key(view);
    const before = this.#views.get(k);
    this.#views.set(k, view);
    this.#clock(k, before, view);
    if (before && onlyProgressMoved(before, view)) {
      this.#progress.offer(k, { jig: view.jig, slot: view.slot, progress: view.progress, etaSeconds: this.#eta(k, view) });
      return;
    }
    this.#progress.discard(k);
    this.log.publish('slot', this.#tile(view));
    const alarming = (v: SlotView | undefined): boolean => v?.error?.code === 'STORE_WRITE_FAILED' || v?.error?.code === 'STORE_FULL';
    if (alarming(view) || alarming(before)) this.#raise();
  }

  #finished(end: SlotSessionEnd): void {
    const { result } = end;
    this.log.publish('result', {
      jig: end.jig,
      slot: end.slot,
      deviceId: result.identity?.deviceId ?? null,
      result: result.result,
      firmwareVersion: result.firmwareVersion ?? null,
      error: result.error ? { code: result.error.code, message: result.error.message } : null,
      workOrderId: end.workOrderHub?.workOrderId ?? null,
      hubState: end.workOrderHub?.state ?? null,
    });
    this.#checkAfterResult();
  }

  /**
   * A result may come with a dead letter or a fuller disk, but a busy bench finishes dozens of
   * sessions a second: one look (outbox figures, a `statfs`, the alarm list) per second of results
   * shows the change as soon, without one per hub on the event loop every slot's transfer shares.
   */
  #checkAfterResult(): void {
    if (this.#resultCheck) return;
    const spellMs = this.#o.resultCheckMs ?? 1_000;
    // A monotonic clock: a step of the wall clock neither skips the look nor puts it off.
    const waitMs = Math.min(spellMs, this.#lastCheckMs + spellMs - performance.now());
    if (waitMs <= 0) {
      void this.#check();
      return;
    }
    this.#resultCheck = setTimeout(() => {
      this.#resultCheck = undefined;
      void this.#check();
    }, waitMs);
    this.#resultCheck.unref();
  }

  #tile(view: SlotView): SlotTile {
    return { ...view, led: slotLed(view), etaSeconds: this.#eta(key(view), view) };
  }

  /** Starts the transfer clock at the first progress of a transfer; forgets it when the transfer ends. */
  #clock(k: string, before: SlotView | undefined, view: SlotView): void {
    if (view.phase !== 'TRANSFERRING') {
      this.#clocks.delete(k);
      return;
    }
    if (!this.#clocks.has(k) || before?.phase !== 'TRANSFERRING') this.#clocks.set(k, { startedAtMs: this.#now(), startProgress: view.progress });
  }

  #eta(k: string, view: SlotView): number | null {
    const clock = this.#clocks.get(k);
    if (!clock || view.phase !== 'TRANSFERRING') return null;
    const done = view.progress - clock.startProgress;
    const elapsedMs = this.#now() - clock.startedAtMs;
    if (done < 0.01 || elapsedMs < 500) return null;
    return Math.max(0, Math.round(((1 - view.progress) * elapsedMs) / done / 1000));
  }

  async #check(): Promise<void> {
    this.#lastCheckMs = performance.now();
    try {
      const deadLetters = this.#o.outbox.summary().dead;
      const disk = await diskSpace(this.#o.storeDir);
      this.#facts = { deadLetters, disk };
    } catch (err) {
      this.#o.log?.warn({ err }, 'dashboard alarm check failed');
    }
    if (this.#started) this.#raise();
  }

  /** Serial adapters plugged in that are no jig port (AdapterWatch): the UNKNOWN_ADAPTER alarm. */
  setUnknownAdapters(descriptions: string[]): void {
    this.#unknownAdapters = [...descriptions];
    if (this.#started) this.#raise();
  }

  /** Publishes the alarm list when it differs from the last one. */
  #raise(): void {
    const next = alarmsFrom({
      jigs: this.#o.bench.jigs(),
      slots: this.#o.bench.slots(),
      ...this.#facts,
      unknownAdapters: this.#unknownAdapters,
      guards: this.#o.guards?.view(),
    });
    if (JSON.stringify(next) === JSON.stringify(this.#alarms)) return;
    this.#alarms = next;
    this.log.publish('alarms', { items: next });
  }
}

function key(view: { jig: string; slot: number }): string {
  return `${view.jig}/${view.slot}`;
}

function onlyProgressMoved(a: SlotView, b: SlotView): boolean {
  for (const field of Object.keys(b) as Array<keyof SlotView>) {
    if (field === 'progress' || field === 'updatedAt') continue;
    if (a[field] !== b[field] && JSON.stringify(a[field]) !== JSON.stringify(b[field])) return false;
  }
  return true;
}
