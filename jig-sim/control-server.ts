import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { isFlashdError } from '../src/domain/errors.js';
import { performAction } from './sim-actions.js';
import type { Simulator } from './simulator.js';

/** Largest request body the control API reads. */
const MAX_BODY_BYTES = 64 * 1024;

/** The simulator's view of every slot: what a person standing at the bench sees. */
export function slotsView(
  sim: Simulator,
): Array<{ jig: string; slot: number; present: boolean; powered: boolean; led: string; blink: boolean; deviceId: string | null }> {
  return [...sim.slots()].map(({ jig, slot }) => ({
    jig: jig.id,
    slot: slot.number,
    present: slot.hub !== undefined,
    powered: slot.powered,
    led: slot.led,
    blink: slot.blink,
    deviceId: slot.hub?.deviceId ?? null,
  }));
}

/**
 * The simulator's control interface, HTTP on 127.0.0.1 (never the daemon's API): `GET /truth`
 * gives every hub as it really is (in a slot or on the shelf), the slots and the faults fired;
 * `POST /actions` inserts, removes, presses, cuts power or injects a fault now. Bad input is a
 * 400 with the SIM_ACTION_INVALID problems. Used by tests, demos and the training CLI.
 */
export class ControlServer {
  readonly #sim: Simulator;
  readonly #server: Server;

  constructor(sim: Simulator) {
    this.#sim = sim;
    this.#server = createServer((req, res) => void this.#route(req, res));
  }

  /** Listens; port 0 takes a free one. Resolves with the base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.#server.listen(port, host);
    await once(this.#server, 'listening');
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('control server has no port');
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (req.method === 'GET' && path === '/truth') {
        send(res, 200, { hubs: this.#sim.truth(), slots: slotsView(this.#sim), stock: this.#sim.stock.length, faults: this.#sim.faults.fired });
        return;
      }
      if (path === '/actions') {
        if (req.method !== 'POST') return send(res, 405, { code: 'SIM_ACTION_INVALID', message: 'POST an action to /actions' });
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
          return send(res, 415, { code: 'SIM_ACTION_INVALID', message: 'send the action as application/json' });
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch (err) {
          return send(res, 400, { code: 'SIM_ACTION_INVALID', message: `the body is not a JSON action: ${(err as Error).message}` });
        }
        return send(res, 200, performAction(this.#sim, body));
      }
      send(res, 404, { code: 'NOT_FOUND', message: `no route ${req.method ?? ''} ${path}; use GET /truth or POST /actions` });
    } catch (err) {
      if (isFlashdError(err, 'SIM_ACTION_INVALID')) send(res, 400, { code: err.code, message: err.message, problems: err.details?.problems });
      else send(res, 500, { code: 'INTERNAL', message: (err as Error).message });
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
