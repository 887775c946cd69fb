import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config, JigConfig } from '../config/schema.js';
import { FlashdError, toErrorRecord } from '../domain/errors.js';
import type { ImageCatalog } from '../images/catalog.js';
import { UsbHotplug, type HotplugSource } from '../jig/usb-hotplug.js';
import { LinkBridge } from '../link/port-bridge.js';
import type { InProcessLines } from '../link/open-link.js';
import type { HubCapabilities, SessionDecision, SessionEvent, SessionResult, SessionTask } from '../session/session-types.js';
import { planTransfer } from '../session/transfer-plan.js';
import type { FlashStore } from '../store/flash-store.js';
import type { HubRecord } from '../store/records.js';
import type { WorkOrderHubRecord } from '../store/work-order-records.js';
import type { WorkOrderStore } from '../store/work-order-store.js';
import { BlockCache } from './block-cache.js';
import { decideForHub, type BenchDecision } from './decide.js';
import { JigStation } from './jig-station.js';
import type { SessionPool } from './session-pool.js';
import { emptySlot, type SlotView } from './slot-view.js';

export interface BenchEvents {
  slot: [view: SlotView];
  /** `hub` and `workOrderHub` are absent when no attempt was recorded (the slot refused the hub). */
  finished: [event: { jig: string; slot: number; result: SessionResult; hub: HubRecord | undefined; workOrderHub?: WorkOrderHubRecord | undefined }];
}

export interface BenchOptions {
  benchId: string;
  jigs: readonly JigConfig[];
  sessions: Config['sessions'];
  jigTimeoutMs: number;
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
}

interface Running {
  done: Promise<void>;
  control: MessagePort;
}

/**
 * The orchestrator: watches the jigs, starts one worker session per occupied slot, answers each
 * session's "may I flash this hub?", records every attempt, and keeps the slot views the API shows.
 */
export class Bench extends EventEmitter<BenchEvents> {
  readonly #o: BenchOptions;
  readonly #stations = new Map<string, JigStation>();
  readonly #views = new Map<string, SlotView>();
  readonly #running = new Map<string, Running>();
  readonly #hotplug: UsbHotplug;
  readonly #blocks = new BlockCache();
  /**
   * Slots that want a new session as soon as they can have one: a hub was seated while the last
   * session still ran, or the link dropped under a session (the hub keeps what it received, so the
   * new session resumes from there). Served by {@link #startIfWaiting}.
   */
  readonly #startWhenFree = new Set<string>();
  #stopping = false;
  #operatorId: string;

  constructor(options: BenchOptions) {
    super();
    this.#o = options;
    this.#hotplug = new UsbHotplug({ jigs: options.jigs, log: options.log, source: options.hotplug });
    this.#operatorId = options.process.operatorId;
    for (const jig of options.jigs) {
      jig.slots.forEach((_, i) => this.#views.set(key(jig.id, i + 1), emptySlot(jig.id, i + 1)));
    }
  }

  slots(): SlotView[] {
    return [...this.#views.values()];
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
      throw new FlashdError('HUB_NOT_IN_SLOT', `${deviceId} is not sitting idle in a slot of this bench${view ? ` (slot ${view.jig}/${view.slot} is busy)` : ''}`, {
        details: { deviceId },
      });
    }
    this.#startSession(view.jig, view.slot, operatorId);
    return { jig: view.jig, slot: view.slot };
  }

  async start(): Promise<void> {
    for (const jig of this.#o.jigs) {
      const log = this.#o.log.child({ jig: jig.id });
      const station = new JigStation({ config: jig, log, jigTimeoutMs: this.#o.jigTimeoutMs, inProcess: this.#o.inProcess });
      this.#stations.set(jig.id, station);
      station.on('connected', (present) => {
        for (const view of this.slots().filter((v) => v.jig === jig.id)) {
          if (!present.includes(view.slot)) this.#update(view.jig, view.slot, emptySlot(view.jig, view.slot));
        }
        for (const slot of present) this.#hubPresent(jig.id, slot);
        for (const slot of present) this.#startIfWaiting(jig.id, slot);
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
    await Promise.all([...this.#stations.values()].map((s) => s.start()));
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

  #startSession(jig: string, slot: number, operatorId = this.#operatorId): void {
    if (this.#stopping) return;
    const station = this.#stations.get(jig)!;
    const link = station.link(slot);
    if (!link) return;
    // Any new session on the slot serves a pending restart (it resumes what the hub holds).
    this.#startWhenFree.delete(key(jig, slot));
    const log = this.#o.log.child({ jig, slot });
    const bytes = new MessageChannel();
    const control = new MessageChannel();
    const bridge = new LinkBridge(link, bytes.port1);
    station.route(slot, (chunk) => bridge.deliver(chunk));
    const jigConfig = station.config;
    const task: SessionTask = {
      bytePort: bytes.port2,
      controlPort: control.port2,
      jigId: jig,
      slot,
      baudRate: jigConfig.baudRate,
      baud: {
        rates: this.#o.sessions.baud.rates,
        maxBaudRate: jigConfig.maxBaudRate,
        errorLimit: { errors: this.#o.sessions.baud.stepDownErrors, windowBlocks: this.#o.sessions.baud.stepDownWindowBlocks },
      },
      timeouts: this.#o.sessions.timeouts,
      transfer: this.#o.sessions.transfer,
    };
    const startedAt = new Date();
    let attemptId: number | undefined;
    let decided: BenchDecision | undefined;
    this.#update(jig, slot, { ...this.#view(jig, slot), phase: 'IDENTIFYING', progress: 0, deviceId: null, result: null, error: null, workOrderId: null, hubState: null });
    void station.setLed(slot, 'BLUE', true);

    control.port1.on('message', (event: SessionEvent) => {
      switch (event.t) {
        case 'identified': {
          let reply: BenchDecision['reply'];
          try {
            const { identity } = event;
            decided = decideForHub(identity, this.#o.catalog, this.#o.workOrders.liveHub(identity.deviceId), this.#o.process.maxAttempts);
            if (decided.workOrderId !== undefined) {
              attemptId = this.#o.store.beginAttempt({ identity, benchId: this.#o.benchId, jigId: jig, slot, startedAt, workOrderId: decided.workOrderId, operatorId });
            }
            reply = decided.reply;
          } catch (err) {
            log.error({ err }, 'could not decide for hub');
            reply = { action: 'finish' as const, result: 'FAILED' as const, error: toErrorRecord(err) };
          }
          this.#update(jig, slot, {
            ...this.#view(jig, slot),
            deviceId: event.identity.deviceId,
            workOrderId: decided?.workOrderId ?? null,
            hubState: attemptId === undefined ? null : 'FLASHING',
          });
          log.info({ deviceId: event.identity.deviceId, model: event.identity.model, running: event.identity.firmwareVersion, action: reply.action }, 'hub identified');
          this.#withBlocks(reply, event.capabilities)
            .catch((err: unknown): SessionDecision => {
              log.error({ err }, 'could not prepare the image blocks');
              return { action: 'finish', result: 'FAILED', error: toErrorRecord(err) };
            })
            .then((decision) => {
              try {
                control.port1.postMessage({ t: 'decision', decision });
              } catch {
                // The session ended while the blocks were prepared; nothing waits for the answer.
              }
            }, () => undefined);
          return;
        }
        case 'phase':
          this.#update(jig, slot, { ...this.#view(jig, slot), phase: event.phase });
          return;
        case 'progress':
          this.#update(jig, slot, { ...this.#view(jig, slot), progress: event.totalBytes > 0 ? event.doneBytes / event.totalBytes : 0 });
          return;
      }
    });

    const done = this.#o.pool
      .run(task)
      .catch((err: unknown): SessionResult => ({
        result: 'FAILED',
        timings: {},
        error: { ...toErrorRecord(new FlashdError('INTERNAL', `session worker failed: ${(err as Error).message}`, { cause: err })), phase: this.#view(jig, slot).phase },
      }))
      .then((result) => this.#finish(jig, slot, attemptId, { ...result, targetFirmwareVersion: result.targetFirmwareVersion ?? decided?.targetVersion }, log))
      .finally(() => {
        station.route(slot, undefined);
        bridge.detach();
        control.port1.close();
        this.#running.delete(key(jig, slot));
        // A hub seated, or a link back, while this session was winding down: its turn now.
        this.#startIfWaiting(jig, slot);
      });
    this.#running.set(key(jig, slot), { done, control: control.port1 });
  }

  /**
   * To flash, the session also gets the image's wire blocks for its hub's transfer plan, prepared
   * once per image and block size (compression off this thread, on libuv's pool) and shared.
   */
  async #withBlocks(reply: BenchDecision['reply'], capabilities: HubCapabilities): Promise<SessionDecision> {
    if (reply.action !== 'flash') return reply;
    const plan = planTransfer(this.#o.sessions.transfer, capabilities);
    return { ...reply, blocks: await this.#blocks.get(reply.image, plan.blockBytes, plan.deflate) };
  }

  #finish(jig: string, slot: number, attemptId: number | undefined, result: SessionResult, log: Logger): void {
    let hub: HubRecord | undefined;
    let workOrderHub: WorkOrderHubRecord | undefined;
    if (attemptId !== undefined) {
      try {
        ({ hub, workOrderHub } = this.#o.store.finishAttemptOnWorkOrder(attemptId, {
          result: result.result,
          firmwareTarget: result.targetFirmwareVersion,
          firmwareAfter: result.result === 'REFLASHED' ? result.firmwareVersion : undefined,
          imageSha256: result.imageSha256,
          hubSha256: result.hubSha256,
          error: result.error,
          timings: result.timings,
          transfer: result.transfer,
        }));
      } catch (err) {
        log.error({ err, attemptId }, 'could not record attempt');
      }
    }
    const view = this.#view(jig, slot);
    const stillThere = view.present;
    this.#update(jig, slot, {
      ...view,
      phase: stillThere ? 'DONE' : 'EMPTY',
      progress: result.result === 'REFLASHED' ? 1 : view.progress,
      result: stillThere ? result.result : null,
      error: result.error ? { code: result.error.code, message: result.error.message } : null,
      hubState: workOrderHub?.state ?? null,
    });
    const level = result.result === 'FAILED' ? 'warn' : 'info';
    log[level](
      { deviceId: result.identity?.deviceId, result: result.result, firmwareVersion: result.firmwareVersion, timings: result.timings, err: result.error },
      'session finished',
    );
    if (stillThere) {
      const station = this.#stations.get(jig);
      const colour = result.result === 'REFLASHED' || result.result === 'ALREADY_CURRENT' ? 'GREEN' : result.result === 'REJECTED' ? 'AMBER' : 'RED';
      // Blinking red: scrap is proposed and waits for a technician to confirm it (R-001).
      void station?.setLed(slot, colour, workOrderHub?.state === 'SCRAP_PROPOSED');
    }
    this.emit('finished', { jig, slot, result, hub, workOrderHub });
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
