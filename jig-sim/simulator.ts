import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { createDuplexPair } from '../src/link/duplex-pair.js';
import { deviceProfileFor } from './device-profiles.js';
import { FaultEngine } from './fault-engine.js';
import { DEFAULT_HUB_PROFILE, INSTANT_HUB_PROFILE, type HubTimingProfile } from './hub-profile.js';
import type { HubPhaseEvent } from './hub-responder.js';
import type { LinkTiming } from './paced-pipe.js';
import { PtyLines } from './pty-lines.js';
import type { Scenario } from './scenario.js';
import type { SimLine } from './sim-line.js';
import { hubTruth, type HubTruth } from './truth.js';
import { VirtualHub, type HubSpec } from './virtual-hub.js';
import { VirtualJig, type SimSlot } from './virtual-jig.js';

export type { HubTruth } from './truth.js';

/** Upper bound of jigs in one simulator (and one bench). */
export const MAX_JIGS = 64;

export interface SimulatorOptions {
  jigs: number;
  /** Timing profile for each hub; default {@link DEFAULT_HUB_PROFILE}. {@link profileByModel} gives the per-model ones. */
  profileFor?: (spec: HubSpec) => Readonly<HubTimingProfile>;
  /** Pacing and latency of every line at start; default instant. Change per slot with `slot.line.setTiming`. */
  timing?: LinkTiming;
  /** Seed for line noise and scenario randomness; default "sim". */
  seed?: string;
}

/** Each hub gets the profile of its Device Model (docs/simulator.md). */
export const profileByModel = (spec: HubSpec): Readonly<HubTimingProfile> => deviceProfileFor(spec.model);

/** The hub timing choices the daemon's config (`simulator.profile`) and the CLI (`--profile`) offer, by name. */
export const HUB_PROFILES: Readonly<Record<'default' | 'instant' | 'model', (spec: HubSpec) => Readonly<HubTimingProfile>>> = {
  default: () => DEFAULT_HUB_PROFILE,
  instant: () => INSTANT_HUB_PROFILE,
  model: profileByModel,
};

/** Addresses of every line: `sim://`, `socket://127.0.0.1:PORT` (as ser2net gives) or a PTY path. */
export interface JigAddresses {
  id: string;
  control: string;
  slots: string[];
}

export interface SimulatorEvents {
  phase: [jig: VirtualJig, slot: SimSlot, hub: VirtualHub, event: HubPhaseEvent];
  led: [jig: VirtualJig, slot: SimSlot];
  inserted: [jig: VirtualJig, slot: SimSlot, hub: VirtualHub];
  removed: [jig: VirtualJig, slot: SimSlot, hub: VirtualHub];
}

/**
 * A bench of virtual jigs. Lines are reachable in-process (`sim://<jig>/<line>`), over TCP with one
 * listening port per line ({@link listenTcp}), and as real PTYs through socat ({@link listenPty}).
 * Hubs taken out of a slot wait on a shelf and keep their flash; a stock list feeds new ones.
 */
export class Simulator extends EventEmitter<SimulatorEvents> {
  readonly jigs: readonly VirtualJig[];
  readonly seed: string;
  readonly #servers: Server[] = [];
  readonly #shelf = new Map<string, VirtualHub>();
  readonly #stock: HubSpec[] = [];
  readonly #profileFor: (spec: HubSpec) => Readonly<HubTimingProfile>;
  #pty: PtyLines | undefined;
  #faults: FaultEngine | undefined;

  constructor(options: SimulatorOptions) {
    super();
    if (!Number.isInteger(options.jigs) || options.jigs < 1 || options.jigs > MAX_JIGS)
      throw new RangeError(`jigs must be 1..${MAX_JIGS}, got ${options.jigs}`);
    this.#profileFor = options.profileFor ?? (() => DEFAULT_HUB_PROFILE);
    this.seed = options.seed ?? 'sim';
    this.jigs = Array.from({ length: options.jigs }, (_, i) => {
      const jig = new VirtualJig({
        id: `JIG-${i + 1}`,
        serial: `SIM${String(i + 1).padStart(4, '0')}`,
        profileFor: this.#profileFor,
        seed: this.seed,
        ...(options.timing ? { timing: options.timing } : {}),
      });
      jig.on('phase', (slot, hub, event) => this.emit('phase', jig, slot, hub, event));
      jig.on('led', (slot) => this.emit('led', jig, slot));
      jig.on('inserted', (slot, hub) => {
        this.#shelf.delete(hub.deviceId);
        this.emit('inserted', jig, slot, hub);
      });
      jig.on('removed', (slot, hub) => {
        this.#shelf.set(hub.deviceId, hub);
        this.emit('removed', jig, slot, hub);
      });
      return jig;
    });
  }

  /** A jig by id (`JIG-3`) or by number (3). */
  jig(id: string | number): VirtualJig {
    const name = typeof id === 'number' ? `JIG-${id}` : id;
    const jig = this.jigs.find((j) => j.id === name);
    if (!jig) throw new RangeError(`no simulated jig ${name}; this simulator has JIG-1..JIG-${this.jigs.length}`);
    return jig;
  }

  /** Every slot of every jig. */
  *slots(): Generator<{ jig: VirtualJig; slot: SimSlot }> {
    for (const jig of this.jigs) for (const slot of jig.slots) yield { jig, slot };
  }

  /** Hubs out of any slot, kept with their flash (removed hubs). */
  get shelf(): ReadonlyMap<string, VirtualHub> {
    return this.#shelf;
  }

  /** Specs waiting to be inserted (what a technician takes next). */
  get stock(): readonly HubSpec[] {
    return this.#stock;
  }

  /** Takes a hub off the shelf for good (a finished hub leaves the bench); returns it. */
  takeOffShelf(deviceId: string): VirtualHub | undefined {
    const hub = this.#shelf.get(deviceId);
    this.#shelf.delete(deviceId);
    return hub;
  }

  addStock(specs: readonly HubSpec[]): void {
    this.#stock.push(...specs);
  }

  /** Next hub from stock, or undefined when stock is empty. */
  takeFromStock(): HubSpec | undefined {
    return this.#stock.shift();
  }

  /** Fills empty slots, jig by jig, from a stock list; the rest waits in {@link stock}. Returns how many were inserted. */
  load(stock: readonly HubSpec[]): number {
    let next = 0;
    for (const { jig, slot } of this.slots()) {
      if (next >= stock.length) break;
      if (!slot.hub) jig.insert(slot.number, stock[next++]!);
    }
    this.addStock(stock.slice(next));
    return next;
  }

  /** Finds a hub in a slot or on the shelf. */
  findHub(deviceId: string): { hub: VirtualHub; jig?: VirtualJig; slot?: SimSlot } | undefined {
    for (const { jig, slot } of this.slots()) if (slot.hub?.deviceId === deviceId) return { hub: slot.hub, jig, slot };
    const hub = this.#shelf.get(deviceId);
    return hub ? { hub } : undefined;
  }

  #lines(): Map<string, SimLine> {
    const lines = new Map<string, SimLine>();
    for (const jig of this.jigs) {
      lines.set(jig.control.name, jig.control);
      for (const slot of jig.slots) lines.set(slot.line.name, slot.line);
    }
    return lines;
  }

  /** The host end of an in-process line, for `sim://` addresses. */
  openInProcess = (name: string): Duplex | undefined => {
    const line = this.#lines().get(name);
    if (!line) return undefined;
    const [host, device] = createDuplexPair();
    line.attachHost(device);
    return host;
  };

  inProcessAddresses(): JigAddresses[] {
    return this.jigs.map((jig) => ({
      id: jig.id,
      control: `sim://${jig.control.name}`,
      slots: jig.slots.map((s) => `sim://${s.line.name}`),
    }));
  }

  /** Listens on 127.0.0.1, one port per line (9 per jig); `basePort` 0 takes free ports. */
  async listenTcp(options: { host?: string; basePort?: number } = {}): Promise<JigAddresses[]> {
    const host = options.host ?? '127.0.0.1';
    let port = options.basePort ?? 0;
    const listen = async (line: SimLine): Promise<string> => {
      const server = createServer({ noDelay: true }, (socket) => line.attachHost(socket));
      server.listen(port === 0 ? 0 : port++, host);
      await once(server, 'listening');
      this.#servers.push(server);
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('TCP server has no port');
      return `socket://${host}:${address.port}`;
    };
    const result: JigAddresses[] = [];
    for (const jig of this.jigs) {
      const control = await listen(jig.control);
      const slots: string[] = [];
      for (const slot of jig.slots) slots.push(await listen(slot.line));
      result.push({ id: jig.id, control, slots });
    }
    return result;
  }

  /**
   * Gives every line a real PTY pair through socat; the daemon opens the `-host` link paths with
   * its serialport code. Needs `socat` on PATH (Debian package `socat`); SIM_PTY_FAILED otherwise.
   */
  async listenPty(options: { dir: string }): Promise<JigAddresses[]> {
    this.#pty ??= new PtyLines(options.dir);
    const result: JigAddresses[] = [];
    for (const jig of this.jigs) {
      const n = jig.id.slice('JIG-'.length);
      const control = await this.#pty.open(jig.control, `jig${n}-control`);
      const slots: string[] = [];
      for (const slot of jig.slots) slots.push(await this.#pty.open(slot.line, `jig${n}-slot${slot.number}`));
      result.push({ id: jig.id, control, slots });
    }
    return result;
  }

  /** Starts a scenario (link timing and faults), replacing one already running. */
  startScenario(scenario: Scenario): FaultEngine {
    this.#faults?.stop();
    this.#faults = new FaultEngine(this, scenario);
    this.#faults.start();
    return this.#faults;
  }

  /** The running scenario's engine (an empty one if none was started): injects faults now and logs them. */
  get faults(): FaultEngine {
    return this.#faults ?? this.startScenario({ faults: [] });
  }

  /** Ground truth: every hub in a slot, then every hub on the shelf. */
  truth(): HubTruth[] {
    const result: HubTruth[] = [];
    for (const { jig, slot } of this.slots()) if (slot.hub) result.push(hubTruth(slot.hub, jig.id, slot));
    for (const hub of this.#shelf.values()) result.push(hubTruth(hub, null, undefined));
    return result;
  }

  async close(): Promise<void> {
    this.#faults?.stop();
    for (const jig of this.jigs) jig.close();
    await this.#pty?.close();
    await Promise.all(this.#servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
