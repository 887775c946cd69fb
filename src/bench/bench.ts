import { EventEmitter, setMaxListeners } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config, JigConfig } from '../config/schema.js';
import { onAbort } from '../domain/abort.js';
import { FlashdError } from '../domain/errors.js';
import type { ImageCatalog } from '../images/catalog.js';
import { UsbHotplug, type HotplugSource } from '../jig/usb-hotplug.js';
import type { InProcessLines } from '../link/open-link.js';
import type { FlashStore } from '../store/flash-store.js';
import type { WorkOrderStore } from '../store/work-order-store.js';
import { BlockCache } from './block-cache.js';
import type { GuardKeeper } from './guard-keeper.js';
import { GuardedSlots } from './guarded-slots.js';
import { JigStation, type JigReconnectPolicy } from './jig-station.js';
import type { SessionPool } from './session-pool.js';
import { startSlotSession, type SlotSessionDeps, type SlotSessionEnd } from './slot-session.js';
import { emptySlot, type SlotView } from './slot-view.js';
import type { StoreSpace } from '../store/store-space.js';

export interface BenchEvents {
  slot: [view: SlotView];
  finished: [event: SlotSessionEnd];
  /** A jig's control port connected or was lost (the dashboard greys its panel). */
  jig: [jig: string, connected: boolean, reason: string | null];
}

export interface BenchOptions {
  benchId: string;
  jigs: readonly JigConfig[];
  sessions: Config['sessions'];
  jigTimeoutMs: number;
  /** Period of each jig's slot reconciliation (lost events, unacknowledged LEDs); default 2000 ms. */
  jigReconcileMs?: number | undefined;
  /** Reconnect backoffs of each jig and slot link (config `jigReconnect`); default the domain's. */
  jigReconnect?: JigReconnectPolicy | undefined;
  catalog: ImageCatalog;
  store: FlashStore;
  /** Consulted after identify: the slot flashes only hubs accepted on an open work order. */
  workOrders: Pick<WorkOrderStore, 'liveHub'>;
  process: Config['process'];
  pool: SessionPool;
  log: Logger;
  inProcess?: InProcessLines | undefined;
  /** USB hotplug events; default: the `usb` package, loaded only when a jig names its adapter. */
  hotplug?: HotplugSource | undefined;
  /** The store's room: no session starts while it is full (STORE_FULL on the slot, an alarm). */
  space?: StoreSpace | undefined;
  /** The quality guards (docs/quality-guards.md); absent: every session may start. */
  guards?: GuardKeeper | undefined;
}

interface Running {
  done: Promise<void>;
  control: MessagePort;
}

/**
 * The orchestrator: watches the jigs, decides when a slot gets a session (hub seated, button,
 * retry, link back) and when one must stop (hub pulled, supply trip, link lost, shutdown), and keeps
 * the slot views the API shows. Each session itself runs in {@link startSlotSession}.
 */
export class Bench extends EventEmitter<BenchEvents> {
  readonly #o: BenchOptions;
  readonly #stations = new Map<string, JigStation>();
  readonly #views = new Map<string, SlotView>();
  readonly #running = new Map<string, Running>();
  readonly #hotplug: UsbHotplug;
  readonly #blocks = new BlockCache();
  readonly #sessionDeps: SlotSessionDeps;
  /**
   * Slots that want a new session as soon as they can have one: a hub was seated while the last
   * session still ran, or the link dropped under a session (the hub keeps what it received, so the
   * new session resumes from there). Served by {@link #startIfWaiting}.
   */
  readonly #startWhenFree = new Set<string>();
  #stopping = false;
  /** Set once the shutdown grace has run out, just before the session threads are terminated. */
  #terminating = false;
  #operatorId: string;
  readonly #guarded: GuardedSlots | undefined;

  constructor(options: BenchOptions) {
    super();
    this.#o = options;
    this.#hotplug = new UsbHotplug({ jigs: options.jigs, log: options.log, source: options.hotplug });
    this.#operatorId = options.process.operatorId;
    const { benchId, sessions, process, catalog, store, workOrders, pool, log } = options;
    this.#sessionDeps = {
      benchId,
      sessions,
      process,
      catalog,
      store,
      workOrders,
      pool,
      blocks: this.#blocks,
      log,
      terminating: () => this.#terminating,
      guards: options.guards,
    };
    this.#guarded = options.guards
      ? new GuardedSlots({
          guards: options.guards,
          view: (jig, slot) => this.#view(jig, slot),
          update: (jig, slot, view) => this.#update(jig, slot, view),
          idle: (jig, slot) => !this.#running.has(key(jig, slot)) && !this.#stopping,
          start: (jig, slot) => this.#startSession(jig, slot),
          setLed: (jig, slot, colour, blink) => void this.#stations.get(jig)?.setLed(slot, colour, blink),
        })
      : undefined;
    for (const jig of options.jigs) {
      jig.slots.forEach((_, i) => this.#views.set(key(jig.id, i + 1), emptySlot(jig.id, i + 1)));
    }
  }

  slots(): SlotView[] {
    return [...this.#views.values()];
  }

  /** Each configured jig and whether its control port is connected now. */
  jigs(): Array<{ id: string; connected: boolean }> {
    return this.#o.jigs.map((jig) => ({ id: jig.id, connected: this.#stations.get(jig.id)?.connected ?? false }));
  }

  get activeSessions(): number {
    return this.#running.size;
  }

  /** The shared wire blocks of the images being flashed (one preparation per image and block size). */
  get blockCache(): BlockCache {
    return this.#blocks;
  }

  /** Who is at the bench: recorded with every attempt the bench starts by itself (insert, button). */
  get operatorId(): string {
    return this.#operatorId;
  }

  setOperator(operatorId: string): void {
    this.#operatorId = operatorId;
  }

  /**
   * A technician's retry from the API: starts a new attempt on the slot where the hub sits idle,
   * as the slot button does. Throws HUB_NOT_IN_SLOT when no slot holds it idle.
   */
  retry(deviceId: string, operatorId: string): { jig: string; slot: number } {
    const view = this.slots().find((v) => v.present && v.deviceId === deviceId);
    if (!view || this.#running.has(key(view.jig, view.slot)) || this.#stopping) {
      throw new FlashdError(
        'HUB_NOT_IN_SLOT',
        `${deviceId} is not sitting idle in a slot of this bench${view ? ` (slot ${view.jig}/${view.slot} is busy)` : ''}`,
        {
          details: { deviceId },
        },
      );
    }
    const station = this.#stations.get(view.jig);
    if (!station?.connected || !station.link(view.slot)) {
      throw new FlashdError(
        'SLOT_UNAVAILABLE',
        `${deviceId} sits in ${view.jig}/${view.slot}, but ${station?.connected ? "that slot's serial link" : `jig ${view.jig}`} is down; retry when it is back`,
        {
          details: { deviceId, jig: view.jig, slot: view.slot },
        },
      );
    }
    this.#startSession(view.jig, view.slot, operatorId);
    return { jig: view.jig, slot: view.slot };
  }

  /** Connects every jig; an abort of `signal` ends the connects at once (the stations stop). */
  async start(options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    for (const jig of this.#o.jigs) {
      const log = this.#o.log.child({ jig: jig.id });
      const station = new JigStation({
        config: jig,
        log,
        jigTimeoutMs: this.#o.jigTimeoutMs,
        reconcileMs: this.#o.jigReconcileMs,
        reconnect: this.#o.jigReconnect,
        inProcess: this.#o.inProcess,
      });
      this.#stations.set(jig.id, station);
      station.on('connected', (present) => {
        this.emit('jig', jig.id, true, null);
        for (const view of this.slots().filter((v) => v.jig === jig.id)) {
          if (!present.includes(view.slot)) this.#update(view.jig, view.slot, emptySlot(view.jig, view.slot));
        }
        for (const slot of present) this.#hubPresent(jig.id, slot);
        for (const slot of present) this.#startIfWaiting(jig.id, slot);
        // Events were lost while the link was down (or the jig rebooted): a finished slot may hold
        // another hub now. Identify each again; the same hub keeps its result.
        for (const slot of present) this.#recheck(jig.id, slot);
      });
      station.on('rebooted', () => {
        // Every hub in the jig lost power: their sessions cannot finish; new ones resume.
        for (const [k, run] of this.#running) {
          if (!k.startsWith(`${jig.id}/`)) continue;
          this.#startWhenFree.add(k);
          cancel(run, 'the jig rebooted');
        }
      });
      station.on('present', (slot) => this.#hubPresent(jig.id, slot));
      station.on('removed', (slot) => this.#hubRemoved(jig.id, slot));
      station.on('button', (slot) => this.#button(jig.id, slot));
      station.on('power-fault', (slot) => this.#powerFault(jig.id, slot));
      station.on('slot-lost', (slot) => {
        const run = this.#running.get(key(jig.id, slot));
        if (!run) return;
        this.#startWhenFree.add(key(jig.id, slot));
        cancel(run, 'slot link lost');
      });
      station.on('slot-restored', (slot) => this.#startIfWaiting(jig.id, slot));
      station.on('disconnected', (reason) => {
        this.emit('jig', jig.id, false, reason);
        for (const [k, run] of this.#running) {
          if (!k.startsWith(`${jig.id}/`)) continue;
          this.#startWhenFree.add(k);
          cancel(run, `jig disconnected: ${reason}`);
        }
      });
    }
    this.#hotplug.on('attach', (jigId) => {
      this.#o.log.info({ jig: jigId }, 'jig adapter attached');
      this.#stations.get(jigId)?.reconnectNow();
    });
    this.#hotplug.on('detach', (jigId) => this.#o.log.warn({ jig: jigId }, 'jig adapter detached'));
    await this.#hotplug.start();
    // The caller's signal gets one listener however many jigs there are; each station listens on ours.
    const connecting = new AbortController();
    setMaxListeners(this.#stations.size + 1, connecting.signal);
    const forget = onAbort(options.signal, () => connecting.abort(options.signal?.reason));
    if (options.signal?.aborted) connecting.abort(options.signal.reason);
    try {
      await Promise.all([...this.#stations.values()].map((s) => s.start({ signal: connecting.signal })));
    } finally {
      forget();
    }
  }

  /**
   * Stops at safe points: every session is asked to stop and records itself as interrupted; after
   * the grace period, threads that have not answered are terminated (piscina abort) as a last resort.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const running = [...this.#running.values()];
    for (const run of running) cancel(run, 'flashd is shutting down');
    const all = Promise.all(running.map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.#o.sessions.shutdownGraceMs)));
    if ((await Promise.race([all, deadline])) === 'late') {
      this.#o.log.error({ sessions: this.#running.size }, 'sessions did not reach a safe point in time; terminating their threads');
      this.#terminating = true;
      await this.#o.pool.close();
      await all;
    }
    clearTimeout(timer);
    this.#hotplug.stop();
    await Promise.all([...this.#stations.values()].map((s) => s.stop()));
  }

  /** Resolves when no session is running (tests and demos). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  #hubPresent(jig: string, slot: number): void {
    const view = this.#view(jig, slot);
    this.#update(jig, slot, { ...view, present: true });
    if (this.#running.has(key(jig, slot))) {
      if (!view.present) this.#startWhenFree.add(key(jig, slot));
      return;
    }
    if (view.result === null) this.#startSession(jig, slot);
  }

  #hubRemoved(jig: string, slot: number): void {
    this.#startWhenFree.delete(key(jig, slot));
    const run = this.#running.get(key(jig, slot));
    if (run) cancel(run, 'hub removed from the slot', 'HUB_REMOVED');
    this.#update(jig, slot, emptySlot(jig, slot));
    this.#guarded?.removed(jig, slot);
  }

  /** Identifies the hub in a finished slot again: a different one gets its session, the same one its result back. */
  #recheck(jig: string, slot: number): void {
    const view = this.#view(jig, slot);
    if (this.#running.has(key(jig, slot)) || !view.present || view.result === null) return;
    this.#startSession(jig, slot, this.#operatorId, view);
  }

  #startIfWaiting(jig: string, slot: number): void {
    const k = key(jig, slot);
    const station = this.#stations.get(jig);
    if (!this.#startWhenFree.has(k) || this.#running.has(k) || !station?.connected || !station.link(slot) || !this.#view(jig, slot).present) return;
    this.#startSession(jig, slot);
  }

  /** The slot's supply tripped: the hub lost power, so its session cannot finish; stop it now. */
  #powerFault(jig: string, slot: number): void {
    this.#o.log.warn({ jig, slot }, 'slot power fault');
    const run = this.#running.get(key(jig, slot));
    if (run) cancel(run, 'the slot supply tripped', 'SLOT_POWER_FAULT');
  }

  /** The slot button starts a new attempt on the hub in the slot (a technician's retry). */
  #button(jig: string, slot: number): void {
    const view = this.#view(jig, slot);
    if (!view.present || this.#running.has(key(jig, slot))) return;
    this.#startSession(jig, slot);
  }

  #startSession(jig: string, slot: number, operatorId = this.#operatorId, recheck?: SlotView): void {
    if (this.#stopping) return;
    const station = this.#stations.get(jig)!;
    if (!station.link(slot)) return;
    // A suspect slot starts nothing: the slot shows SLOT_SUSPECT and its LED blinks amber.
    if (this.#guarded && !this.#guarded.mayStart(jig, slot)) return;
    const k = key(jig, slot);
    if (this.#o.space && !this.#o.space.hasRoom()) {
      this.#refuseFull(jig, slot);
      return;
    }
    // Any new session on the slot serves a pending restart (it resumes what the hub holds).
    this.#startWhenFree.delete(k);
    const session = startSlotSession(this.#sessionDeps, {
      station,
      slot,
      operatorId,
      view: () => this.#view(jig, slot),
      update: (view) => this.#update(jig, slot, view),
      recheck,
    });
    const done = session.finished
      .then((end) => {
        // A failed session may have failed on a full store: measure again before the next one starts.
        if (end.result.error) this.#o.space?.recheck();
        if (end.sameHub) return;
        this.#guarded?.finished(end);
        this.emit('finished', end);
      })
      .finally(() => {
        this.#running.delete(k);
        // A hub seated, or a link back, while this session was winding down: its turn now.
        this.#startIfWaiting(jig, slot);
        // The guards may have let held hubs through, or taken this slot out.
        this.#guarded?.afterSession(jig, slot);
      });
    this.#running.set(k, { done, control: session.control });
  }

  /** The store has no room: the seated hub waits, untouched, its slot showing why (reseat or press the button once space is freed). */
  #refuseFull(jig: string, slot: number): void {
    const view = this.#view(jig, slot);
    if (!view.present) return;
    if (view.error?.code !== 'STORE_FULL') this.#o.log.error({ jig, slot, roomBytes: this.#o.space?.roomBytes() }, 'store full: no new session');
    this.#update(jig, slot, {
      ...view,
      phase: 'DONE',
      result: null,
      error: { code: 'STORE_FULL', message: 'the store is full: free disk space (or raise store.maxSizeMiB), then reseat the hub or press the slot button' },
    });
    void this.#stations.get(jig)?.setLed(slot, 'RED', true);
  }

  #view(jig: string, slot: number): SlotView {
    return this.#views.get(key(jig, slot)) ?? emptySlot(jig, slot);
  }

  #update(jig: string, slot: number, view: SlotView): void {
    const next = { ...view, updatedAt: new Date().toISOString() };
    this.#views.set(key(jig, slot), next);
    this.emit('slot', next);
  }
}

function key(jig: string, slot: number): string {
  return `${jig}/${slot}`;
}

function cancel(run: Running, reason: string, code: 'SESSION_INTERRUPTED' | 'HUB_REMOVED' | 'SLOT_POWER_FAULT' = 'SESSION_INTERRUPTED'): void {
  try {
    run.control.postMessage({ t: 'cancel', reason, code });
  } catch {
    // The port is already closed: the session has finished.
  }
}
