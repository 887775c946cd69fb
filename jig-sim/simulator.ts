import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { createDuplexPair } from '../src/link/duplex-pair.js';
import { DEFAULT_HUB_PROFILE, type HubTimingProfile } from './hub-profile.js';
import type { SimLine } from './sim-line.js';
import type { HubSpec } from './virtual-hub.js';
import { VirtualJig } from './virtual-jig.js';

export interface SimulatorOptions {
  jigs: number;
  /** Timing profile for each hub; default {@link DEFAULT_HUB_PROFILE}. */
  profileFor?: (spec: HubSpec) => Readonly<HubTimingProfile>;
}

/** What a hub really runs and holds, for tests to compare with what flashd claims. */
export interface HubTruth {
  jigId: string | null;
  slot: number | null;
  deviceId: string;
  model: string;
  firmwareVersion: string;
  heldImage: { sizeBytes: number; committedBytes: number; verified: boolean } | null;
  pendingActivation: boolean;
  unlocked: boolean;
  lockedOut: boolean;
  failedUnlocks: number;
  flashCount: number;
}

/** TCP addresses of every line, as `socket://127.0.0.1:PORT` (how ser2net exposes a real jig). */
export interface JigAddresses {
  id: string;
  control: string;
  slots: string[];
}

/**
 * A bench of virtual jigs. Lines are reachable in-process (`sim://<jig>/<line>`), and over TCP
 * with one listening port per line once {@link listenTcp} is called.
 */
export class Simulator {
  readonly jigs: readonly VirtualJig[];
  readonly #servers: Server[] = [];

  constructor(options: SimulatorOptions) {
    if (!Number.isInteger(options.jigs) || options.jigs < 1 || options.jigs > 64) throw new RangeError(`jigs must be 1..64, got ${options.jigs}`);
    const profileFor = options.profileFor ?? (() => DEFAULT_HUB_PROFILE);
    this.jigs = Array.from(
      { length: options.jigs },
      (_, i) => new VirtualJig({ id: `JIG-${i + 1}`, serial: `SIM${String(i + 1).padStart(4, '0')}`, profileFor }),
    );
  }

  jig(id: string): VirtualJig {
    const jig = this.jigs.find((j) => j.id === id);
    if (!jig) throw new RangeError(`no simulated jig ${id}`);
    return jig;
  }

  /** Fills empty slots, jig by jig, from a stock list; returns how many hubs were inserted. */
  load(stock: readonly HubSpec[]): number {
    let next = 0;
    for (const jig of this.jigs) {
      for (const slot of jig.slots) {
        if (next >= stock.length) return next;
        if (!slot.hub) jig.insert(slot.number, stock[next++]!);
      }
    }
    return next;
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

  /** Listens on 127.0.0.1, one port per line; `basePort` 0 takes free ports. */
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

  truth(): HubTruth[] {
    const result: HubTruth[] = [];
    for (const jig of this.jigs) {
      for (const slot of jig.slots) {
        const hub = slot.hub;
        if (!hub) continue;
        result.push({
          jigId: jig.id,
          slot: slot.number,
          deviceId: hub.deviceId,
          model: hub.spec.model,
          firmwareVersion: hub.runningVersion,
          heldImage: hub.held ? { sizeBytes: hub.held.sizeBytes, committedBytes: hub.held.committedBytes, verified: hub.held.verified } : null,
          pendingActivation: hub.pendingActivation,
          unlocked: slot.responder?.unlocked ?? false,
          lockedOut: hub.lockedOut,
          failedUnlocks: hub.failedUnlocks,
          flashCount: hub.flashCount,
        });
      }
    }
    return result;
  }

  async close(): Promise<void> {
    for (const jig of this.jigs) {
      jig.control.detachHost();
      for (const slot of jig.slots) {
        slot.responder?.powerOff();
        slot.line.detachHost();
      }
    }
    await Promise.all(this.#servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
