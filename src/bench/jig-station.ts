import { EventEmitter, setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { JigConfig } from '../config/schema.js';
import { onAbort, throwIfAborted } from '../domain/abort.js';
import { backoffDelayMs, DEFAULT_JIG_RECONNECT, DEFAULT_SLOT_RECONNECT, type BackoffPolicy } from '../domain/backoff.js';
import { JigController, type SlotStatus } from '../jig/jig-controller.js';
import type { LedColour } from '../jig/control-protocol.js';
import { openLink, type InProcessLines, type Link } from '../link/open-link.js';

export interface JigStationEvents {
  present: [slot: number];
  removed: [slot: number];
  button: [slot: number];
  'power-fault': [slot: number];
  /** One slot's link closed (a ser2net port restarted, a USB-serial adapter reset) while the jig stays up. */
  'slot-lost': [slot: number];
  /** That slot's link is open again. */
  'slot-restored': [slot: number];
  /** Control and slot links are open and the jig has reported its slots (also after a jig reboot). */
  connected: [present: number[]];
  /** The jig announced READY on a live control link: it rebooted, so every hub in it lost power. */
  rebooted: [];
  disconnected: [reason: string];
}

/** Default period of the slot reconciliation: lost events and LED commands heal within it. */
export const DEFAULT_RECONCILE_MS = 2000;

/** The LED a slot should show, and whether the jig has acknowledged it since. */
interface WantedLed {
  colour: LedColour;
  blink: boolean;
  applied: boolean;
}

/**
 * One jig as the bench sees it: its control port driver and the eight slot links, reconnected
 * with backoff ({@link JigReconnectPolicy}) when the control port goes away (a USB adapter
 * unplugged, ser2net restarted). Every open and request it makes carries the station's signal:
 * stop() aborts it, so a connect hanging on an unreachable ser2net host ends at once.
 */
export class JigStation extends EventEmitter<JigStationEvents> {
  readonly config: JigConfig;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #reconcileMs: number;
  readonly #inProcess: InProcessLines | undefined;
  #controller: JigController | undefined;
  #links: Array<Link | undefined> = [];
  #sinks: Array<((chunk: Buffer) => void) | undefined> = [];
  #stopped = false;
  /** Aborted by stop(): cancels every open and request in flight. */
  readonly #abort = new AbortController();
  readonly #reconnect: JigReconnectPolicy;
  /** Consecutive failed connects: the backoff step. */
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  /** The one connect in progress: hotplug events and the retry timer join it rather than race it. */
  #connecting: Promise<void> | undefined;
  /** An adapter attached while a connect ran: if that connect fails, the next starts at once. */
  #retryAtOnce = false;
  /** Which slots hold a hub as far as the events told us; the reconciliation compares it with STATUS. */
  #occupied: boolean[] = [];
  /** Each slot's insertion count (mod 16) as last reported; a STATUS with another count means a swap we did not see. */
  #insertions: Array<number | undefined> = [];
  #leds: WantedLed[] = [];
  #reconcileTimer: NodeJS.Timeout | undefined;
  #reconciling = false;
  /** Occupancy events handled so far, and per slot the count at its last one: what a reconciliation's STATUS may be older than. */
  #occupancyEvents = 0;
  #slotEventAt: number[] = [];

  /**
   * `reconcileMs`: how often the jig's slots are read back and unacknowledged LEDs re-sent; default {@link DEFAULT_RECONCILE_MS}.
   * `reconnect`: the backoffs of the whole jig and of one slot link; default {@link DEFAULT_JIG_RECONNECT}, {@link DEFAULT_SLOT_RECONNECT}.
   */
  constructor(options: {
    config: JigConfig;
    log: Logger;
    jigTimeoutMs: number;
    reconcileMs?: number | undefined;
    reconnect?: JigReconnectPolicy | undefined;
    inProcess?: InProcessLines | undefined;
  }) {
    super();
    this.config = options.config;
    this.#log = options.log;
    this.#timeoutMs = options.jigTimeoutMs;
    this.#reconcileMs = options.reconcileMs ?? DEFAULT_RECONCILE_MS;
    this.#inProcess = options.inProcess;
    this.#reconnect = options.reconnect ?? { control: DEFAULT_JIG_RECONNECT, slot: DEFAULT_SLOT_RECONNECT };
    this.#leds = options.config.slots.map(() => ({ colour: 'OFF', blink: false, applied: false }));
    // Every open and command of the jig carries this signal and drops its listener when it settles;
    // with eight slots' LED commands, their retries and a STATUS in flight at once, more than
    // Node's default of 10 listen legitimately (no leak: the count falls back as they settle).
    setMaxListeners(8 * (options.config.slots.length + 1), this.#abort.signal);
  }

  get connected(): boolean {
    return this.#controller !== undefined;
  }

  /**
   * Tries to connect now; on failure keeps retrying in the background. An abort of `signal`
   * while it connects stops the station (the connect ends at once, nothing stays open).
   */
  async start(options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    const forget = onAbort(options.signal, () => void this.stop());
    try {
      if (options.signal?.aborted) return await this.stop();
      await this.#connect();
    } finally {
      forget();
    }
  }

  /** The jig's adapter reappeared (USB hotplug): try now rather than at the next backoff step. */
  reconnectNow(): void {
    if (this.#stopped || this.#controller) return;
    this.#failures = 0;
    // A connect already running may be failing on the adapter that just left: try again at once after it.
    if (this.#connecting) {
      this.#retryAtOnce = true;
      return;
    }
    clearTimeout(this.#retryTimer);
    void this.#connect();
  }

  link(slot: number): Link | undefined {
    return this.#links[slot - 1];
  }

  /** Routes a slot's received bytes to `sink` (a session bridge) or, with undefined, drops them. */
  route(slot: number, sink: ((chunk: Buffer) => void) | undefined): void {
    this.#sinks[slot - 1] = sink;
  }

  /**
   * Sets a slot's LED. The wish is kept: if the jig does not acknowledge it (line noise, link
   * down), the reconciliation sends it again, and a reconnect or jig reboot re-applies it.
   */
  async setLed(slot: number, colour: LedColour, blink = false): Promise<void> {
    const wanted: WantedLed = { colour, blink, applied: false };
    this.#leds[slot - 1] = wanted;
    await this.#applyLed(slot, wanted);
  }

  async #applyLed(slot: number, wanted: WantedLed): Promise<void> {
    const controller = this.#controller;
    if (!controller) return;
    try {
      await controller.setLed(slot, wanted.colour, wanted.blink, { signal: this.#abort.signal });
      if (this.#controller === controller) wanted.applied = true;
    } catch (err) {
      // A command still queued when flashd closes the jig is dropped by design, not a fault.
      if (this.#stopped) return;
      this.#log.warn({ err, slot, colour: wanted.colour }, 'could not set slot LED; the reconciliation sends it again');
    }
  }

  /** Idempotent. Aborts every open and request in flight, then closes what is open. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new Error(`jig ${this.config.id}: flashd is stopping`));
    clearTimeout(this.#retryTimer);
    clearInterval(this.#reconcileTimer);
    await this.#connecting;
    const controller = this.#controller;
    this.#controller = undefined;
    await controller?.close().catch(() => undefined);
    await Promise.all(this.#links.filter((l) => l !== undefined).map((l) => l.close().catch(() => undefined)));
    this.#links = [];
  }

  #connect(): Promise<void> {
    if (this.#stopped || this.#controller) return Promise.resolve();
    this.#connecting ??= this.#tryConnect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #tryConnect(): Promise<void> {
    const { id, control, slots, baudRate } = this.config;
    const { signal } = this.#abort;
    const opened: Link[] = [];
    try {
      const controlLink = await openLink(control, { baudRate: 115_200, inProcess: this.#inProcess, signal });
      opened.push(controlLink);
      const links: Link[] = [];
      for (const url of slots) {
        throwIfAborted(signal, `jig ${id}`);
        const link = await openLink(url, { baudRate, inProcess: this.#inProcess, signal });
        opened.push(link);
        links.push(link);
      }
      const controller = new JigController({ jigId: id, link: controlLink, log: this.#log, timeoutMs: this.#timeoutMs });
      // Slot events can arrive in the same read as the STATUS reply, before #wire listens: keep
      // them and replay them after 'connected' (replaying one STATUS already covered is harmless).
      const early: Array<['present' | 'removed' | 'button', number, number | undefined]> = [];
      const keep = (['present', 'removed', 'button'] as const).map(
        (name) => [name, (slot: number, ins?: number) => void early.push([name, slot, ins])] as const,
      );
      for (const [name, listener] of keep) controller.on(name, listener);
      const info = await controller.info({ signal });
      const status = await controller.status({ signal });
      for (const [name, listener] of keep) controller.off(name, listener);
      if (this.#stopped) {
        // stop() ran while we connected: nothing may stay open after it.
        await controller.close().catch(() => undefined);
        await Promise.all(opened.map((l) => l.close().catch(() => undefined)));
        return;
      }
      this.#wire(controller, links);
      this.#adopt(status);
      clearTimeout(this.#retryTimer);
      this.#retryAtOnce = false;
      this.#failures = 0;
      this.#log.info({ serial: info.serial, firmware: info.firmware, slots: links.length }, 'jig connected');
      this.emit(
        'connected',
        status.filter((s) => s.present && s.slot <= links.length).map((s) => s.slot),
      );
      for (const [name, slot, ins] of early) {
        if (name === 'button') this.emit(name, slot);
        else this.#onOccupancy(slot, name === 'present', ins);
      }
    } catch (err) {
      await Promise.all(opened.map((l) => l.close().catch(() => undefined)));
      if (this.#stopped) return;
      this.#failures += 1;
      const delayMs = this.#retryAtOnce ? 0 : backoffDelayMs(this.#reconnect.control, this.#failures);
      this.#log.error({ err, retryMs: delayMs }, 'jig connection failed; retrying');
      this.#scheduleRetry(delayMs);
    }
  }

  #wire(controller: JigController, links: Link[]): void {
    this.#controller = controller;
    this.#links = links;
    this.#sinks = links.map(() => undefined);
    links.forEach((link, i) => this.#wireSlot(link, i + 1));
    controller.on('present', (slot, ins) => this.#onOccupancy(slot, true, ins));
    controller.on('removed', (slot) => this.#onOccupancy(slot, false));
    controller.on('button', (slot) => this.emit('button', slot));
    controller.on('power-fault', (slot) => this.emit('power-fault', slot));
    controller.on('ready', () => {
      // The jig rebooted under us: its hubs lost power and its LEDs went dark. Read its slots again.
      this.#log.warn('jig announced READY on a live link: it rebooted');
      this.emit('rebooted');
      const asked = this.#occupancyEvents;
      controller.status({ signal: this.#abort.signal }).then(
        (status) => {
          if (this.#controller !== controller) return;
          // A slot with an event since the STATUS went out knows more than the reply (see #reconcile): it keeps what the event said.
          this.#adopt(status.filter((s) => (this.#slotEventAt[s.slot - 1] ?? 0) <= asked));
          this.emit(
            'connected',
            this.#occupied.flatMap((present, i) => (present && i < this.#links.length ? [i + 1] : [])),
          );
        },
        (err: Error) => this.#log.warn({ err }, 'could not read slots after jig reset; the reconciliation reads them'),
      );
    });
    controller.on('disconnected', (reason) => {
      if (this.#controller !== controller) return;
      this.#controller = undefined;
      clearInterval(this.#reconcileTimer);
      const old = this.#links;
      this.#links = [];
      void Promise.all(old.filter((l) => l !== undefined).map((l) => l.close().catch(() => undefined)));
      this.emit('disconnected', reason);
      if (!this.#stopped) {
        this.#log.warn({ reason }, 'jig control link lost; reconnecting');
        // The lost link counts as the first failure: a reconnect that fails next waits the second step.
        this.#failures = 1;
        this.#scheduleRetry(backoffDelayMs(this.#reconnect.control, 1));
      }
    });
  }

  /**
   * Takes a STATUS read at (re)connect or after a reboot as the truth: occupancy from it, every
   * LED to be sent again (a rebooted jig shows none; one we reconnected to may have missed some),
   * and the periodic reconciliation running.
   */
  #adopt(status: SlotStatus[]): void {
    // A slot the STATUS leaves out keeps what the bench knows of it.
    this.#occupied = this.#leds.map((_, i) => status.find((s) => s.slot === i + 1)?.present ?? this.#occupied[i] ?? false);
    this.#insertions = this.#leds.map((_, i) => {
      const read = status.find((s) => s.slot === i + 1);
      return read ? read.insertions : this.#insertions[i];
    });
    for (const [i, led] of this.#leds.entries()) {
      if (!this.#occupied[i]) this.#leds[i] = { colour: 'OFF', blink: false, applied: false };
      else led.applied = false;
    }
    clearInterval(this.#reconcileTimer);
    this.#reconcileTimer = setInterval(() => void this.#reconcile(), this.#reconcileMs);
    this.#reconcileTimer.unref();
  }

  /** `insertions`: the slot's count with a PRESENT (or STATUS); a new count on an occupied slot means the REMOVED before it was lost. */
  #onOccupancy(slot: number, present: boolean, insertions?: number): void {
    if (slot > this.#leds.length) return;
    const known = this.#insertions[slot - 1];
    if (present && this.#occupied[slot - 1] && insertions !== undefined && known !== undefined && insertions !== known) {
      this.#log.warn({ slot }, 'a hub was seated in an occupied slot (its REMOVED was lost); the one there now is new');
      this.#onOccupancy(slot, false);
    }
    if (present) this.#insertions[slot - 1] = insertions;
    this.#occupied[slot - 1] = present;
    this.#slotEventAt[slot - 1] = ++this.#occupancyEvents;
    // The jig darkens a slot's LED when its hub is taken out.
    if (!present) this.#leds[slot - 1] = { colour: 'OFF', blink: false, applied: true };
    this.emit(present ? 'present' : 'removed', slot);
  }

  /**
   * Heals what line noise lost: reads the slots and raises the PRESENT/REMOVED the jig sent but we
   * never parsed, then re-sends every LED the jig has not acknowledged. The control line is
   * ordered, so events sent before the STATUS reply have been handled by the time it arrives; but
   * events read after it in the same chunk are handled before this resumes, so the reply can be
   * older than what we know. A slot with an event during the exchange is left to the next period:
   * healing it from the stale reply would invent a swap (a REMOVED and PRESENT the technician never
   * made) and cancel the session the real event started.
   */
  async #reconcile(): Promise<void> {
    const controller = this.#controller;
    if (!controller || this.#reconciling || this.#stopped) return;
    this.#reconciling = true;
    try {
      const asked = this.#occupancyEvents;
      const status = await controller.status({ signal: this.#abort.signal });
      if (this.#controller !== controller) return;
      for (const { slot, present, insertions } of status) {
        if (slot > this.#leds.length || (this.#slotEventAt[slot - 1] ?? 0) > asked) continue;
        const swapped = present && insertions !== undefined && this.#insertions[slot - 1] !== undefined && insertions !== this.#insertions[slot - 1];
        if (this.#occupied[slot - 1] === present && !swapped) continue;
        this.#log.warn({ slot, present, swapped }, 'slot state differs from the events received (an event was lost); healing');
        this.#onOccupancy(slot, present, insertions);
      }
      for (const [i, led] of this.#leds.entries()) {
        if (!led.applied && this.#controller === controller) await this.#applyLed(i + 1, led);
      }
    } catch (err) {
      if (!this.#stopped) this.#log.warn({ err }, 'slot reconciliation failed; trying again at the next period');
    } finally {
      this.#reconciling = false;
    }
  }

  #wireSlot(link: Link, slot: number): void {
    link.stream.on('data', (chunk: Buffer) => this.#sinks[slot - 1]?.(chunk));
    link.stream.on('error', (err) => this.#log.warn({ err, slot }, 'slot link error'));
    link.stream.on('close', () => {
      if (this.#links[slot - 1] !== link || !this.#controller || this.#stopped) return;
      this.#links[slot - 1] = undefined;
      this.#log.warn({ slot }, 'slot link lost; reopening');
      this.emit('slot-lost', slot);
      this.#reopenSlot(slot, 1);
    });
  }

  /** Reopens one slot's link with its own backoff (`failures` so far); a whole-jig reconnect supersedes it. */
  #reopenSlot(slot: number, failures: number): void {
    const controller = this.#controller;
    const delayMs = backoffDelayMs(this.#reconnect.slot, failures);
    setTimeout(() => {
      if (this.#stopped || this.#controller !== controller || !controller) return;
      openLink(this.config.slots[slot - 1]!, { baudRate: this.config.baudRate, inProcess: this.#inProcess, signal: this.#abort.signal }).then(
        (link) => {
          if (this.#stopped || this.#controller !== controller) {
            void link.close();
            return;
          }
          this.#links[slot - 1] = link;
          this.#wireSlot(link, slot);
          this.#log.info({ slot }, 'slot link reopened');
          this.emit('slot-restored', slot);
        },
        (err: Error) => {
          if (this.#stopped) return;
          this.#log.warn({ err, slot, retryMs: backoffDelayMs(this.#reconnect.slot, failures + 1) }, 'slot link still down');
          this.#reopenSlot(slot, failures + 1);
        },
      );
    }, delayMs).unref();
  }

  #scheduleRetry(delayMs: number): void {
    if (this.#stopped) return;
    this.#retryAtOnce = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#connect(), delayMs);
  }
}

/** How a jig reconnects: the whole jig, and one slot link while the jig stays up (config `jigReconnect`). */
export interface JigReconnectPolicy {
  control: BackoffPolicy;
  slot: BackoffPolicy;
}
