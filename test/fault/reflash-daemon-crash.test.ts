import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { ControlServer, INSTANT_HUB_PROFILE, INSTANT_LINK, Simulator, generateStock, type HubSpec, type HubTruth } from '../../jig-sim/index.js';
import { takeInStockOnFile } from '../helpers/take-in.js';
import { simulatedBenchKeys } from '../helpers/sim-as-jigs.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { MockN3Server } from '../helpers/mock-n3-server.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));
const WO = 'WO-CRASH';
const SLOW = { paced: true, baudRate: 115_200, latencyMs: 300 };

/** Where in a session the daemon is SIGKILLed; `slowFrom` stretches the window by slowing that hub's line. */
interface KillPoint {
  name: string;
  slowFrom?: 'VERIFY' | 'ACTIVATE';
  /** True at the moment to kill: read from the store the daemon writes and from the simulator's ground truth. */
  now: (
    attempt: { verified_at: string | null; activate_at: string | null; finished_at: string | null } | undefined,
    truth: HubTruth,
    target: string,
  ) => boolean;
}

const KILL_POINTS: KillPoint[] = [
  { name: 'after VERIFIED', slowFrom: 'VERIFY', now: (a) => a?.verified_at != null },
  { name: 'after ACTIVATE sent', slowFrom: 'VERIFY', now: (a) => a?.activate_at != null },
  { name: 'during the reboot', now: (_a, t) => t.pendingActivation },
  {
    name: 'during the read-back',
    slowFrom: 'ACTIVATE',
    now: (a, t, target) => a?.finished_at === null && t.firmwareVersion === target && !t.pendingActivation,
  },
];

/**
 * Issue 9, item 1: the real daemon (src/main.ts, a child process) flashes hubs of a simulator that
 * lives in this process on TCP lines, so the hubs outlive the daemon. It is SIGKILLed at each step
 * of a session, restarted on the same store, and the hub's record is judged against the
 * simulator's ground truth (GET /truth): outcome, attempt proof, SSMI line, charge, manifest and
 * the N3 notification all say REFLASHED with the version the hub really runs.
 */
describe('flashd killed while it re-flashes a hub', () => {
  let sim: Simulator;
  let control: ControlServer;
  let truthUrl: string;
  let n3: MockN3Server;
  let dir: string;
  let config: string;
  let db: string;
  let daemon: DaemonProcess | undefined;
  const stock: HubSpec[] = generateStock({ seed: 'reflash-crash', count: KILL_POINTS.length });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flashd-reflash-crash-'));
    db = join(dir, 'flashd.db');
    sim = new Simulator({ jigs: 1, profileFor: () => ({ ...INSTANT_HUB_PROFILE, rebootMs: 1500 }) });
    const [jig] = await sim.listenTcp();
    control = new ControlServer(sim);
    truthUrl = `${await control.listen()}/truth`;
    n3 = new MockN3Server({ token: 'reflash-crash-token' });
    await n3.up();
    writeFileSync(join(dir, 'n3.token'), 'reflash-crash-token\n');
    // The back office's work order and goods-in, on the store the daemon opens.
    takeInStockOnFile(db, { id: WO, secPartyId: 'PARTY-9', cspRegion: 'Central', operatorId: 'goods-in' }, stock);
    config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { path: db },
        api: { port: 0 },
        simulator: { enabled: false },
        ...simulatedBenchKeys(),
        jigs: [{ id: jig!.id, control: jig!.control, slots: jig!.slots, baudRate: 115_200 }],
        sessions: { baud: { rates: [] } },
        upstream: { mode: 'both', n3: { url: n3.url, token: { file: 'n3.token' }, pollIntervalMs: 20, retry: { minTimeoutMs: 20, maxTimeoutMs: 200 } } },
      }),
    );
  });
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await control.close();
    await sim.close();
    await n3.down();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<string> => {
    daemon = startDaemon(['--config', config]);
    return daemon.ready;
  };
  const truthOf = async (deviceId: string): Promise<HubTruth> => {
    const { hubs } = (await (await fetch(truthUrl)).json()) as { hubs: HubTruth[] };
    return hubs.find((h) => h.deviceId === deviceId)!;
  };
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return conn.prepare(sql).all(...params) as T[];
    } finally {
      conn.close();
    }
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 5): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };

  it('records REFLASHED with its proof, in the SSMI file, the charges, the manifest and N3, whatever step the kill hit', { timeout: 240_000 }, async () => {
    let url = await start();
    const killedAt: Record<string, Partial<HubTruth>> = {};
    for (const [i, point] of KILL_POINTS.entries()) {
      const hub = stock[i]!;
      const slot = i + 1;
      const target = LATEST.get(hub.model)!;
      const line = sim.jig(1).slot(slot).line;
      const slowDown = (_jig: unknown, s: { number: number }, _h: unknown, event: { phase: string }): void => {
        if (s.number === slot && event.phase === point.slowFrom) line.setTiming(SLOW);
      };
      sim.on('phase', slowDown);
      sim.jig(1).insert(slot, hub);
      await until(point.name, async () => {
        const [attempt] = query<{ verified_at: string | null; activate_at: string | null; finished_at: string | null }>(
          'SELECT verified_at, activate_at, finished_at FROM attempts WHERE device_id = ? ORDER BY id DESC LIMIT 1',
          hub.deviceId,
        );
        return point.now(attempt, await truthOf(hub.deviceId), target) ? true : undefined;
      });
      daemon!.child.kill('SIGKILL');
      const truth = sim.truth().find((t) => t.deviceId === hub.deviceId)!; // the hub as the kill found it
      killedAt[point.name] = { firmwareVersion: truth.firmwareVersion, pendingActivation: truth.pendingActivation };
      await daemon!.exited;
      sim.off('phase', slowDown);
      line.setTiming(INSTANT_LINK);
      // The killed attempt is still open: the restart closes it, and the hub (still in its slot) gets a new session.
      url = await start();
      const state = await until(
        `${hub.deviceId} to settle after the kill ${point.name}`,
        () => {
          const [row] = query<{ state: string }>('SELECT state FROM work_order_hubs WHERE work_order_id = ? AND device_id = ?', WO, hub.deviceId);
          return row && !['ACCEPTED', 'FLASHING', 'FAILED'].includes(row.state) ? row.state : undefined;
        },
        60_000,
        50,
      );
      expect(state, `${point.name}: killed with the hub at ${JSON.stringify(killedAt[point.name])}`).toBe('REFLASHED');
      sim.jig(1).remove(slot);
    }
    // The kills hit what they were meant to: the hub had not activated, was rebooting, had booted the target.
    expect(killedAt['after VERIFIED']).toMatchObject({ pendingActivation: false, firmwareVersion: stock[0]!.firmwareVersion });
    expect(killedAt['during the reboot']).toMatchObject({ pendingActivation: true, firmwareVersion: stock[2]!.firmwareVersion });
    expect(killedAt['during the read-back']).toMatchObject({ pendingActivation: false, firmwareVersion: LATEST.get(stock[3]!.model) });

    await until(
      'the outbox to drain',
      async () => ((await (await fetch(`${url}/api/v1/outbox`)).json()) as { pending: number }).pending === 0 || undefined,
      30_000,
      50,
    );
    const api = async (path: string): Promise<string> => (await fetch(`${url}/api/v1${path}`)).text();
    const ssmi = await api(`/work-orders/${WO}/ssmi`);
    const charges = JSON.parse(await api(`/charges?by=work-order&workOrderId=${WO}`)) as { items: Array<Record<string, number>> };
    const manifest = JSON.parse(await api(`/work-orders/${WO}/manifest?format=json`)) as {
      returns: Array<{ deviceId: string; disposition: string }>;
      totals: Record<string, number>;
    };
    daemon!.child.kill('SIGTERM');
    expect(await daemon!.exited).toBe(0);
    daemon = undefined;

    expect(charges.items[0]).toMatchObject({ reflashed: stock.length, alreadyCurrent: 0 });
    for (const hub of stock) {
      const target = LATEST.get(hub.model)!;
      // Ground truth: one activation, the target running.
      expect(await truthOf(hub.deviceId)).toMatchObject({ firmwareVersion: target, flashCount: 1, pendingActivation: false });
      const attempts = query<{ result: string; hub_sha256: string | null; image_sha256: string | null; firmware_after: string | null }>(
        'SELECT result, hub_sha256, image_sha256, firmware_after FROM attempts WHERE device_id = ? ORDER BY id',
        hub.deviceId,
      );
      expect(attempts.map((a) => a.result)).toEqual(['INTERRUPTED', 'REFLASHED']);
      const [killed, done] = attempts;
      expect(done).toMatchObject({ firmware_after: target, hub_sha256: done!.image_sha256 });
      expect(killed!.hub_sha256).toBe(done!.image_sha256); // the proof the kill could not take away
      expect(ssmi).toContain(`${hub.deviceId},${target}`);
      expect(manifest.returns.find((r) => r.deviceId === hub.deviceId)).toMatchObject({ disposition: 'RETURN_REFLASHED' });
      const notices = n3.acceptances.filter((a) => a.deviceId === hub.deviceId).map((a) => JSON.parse(a.body) as Record<string, unknown>);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        outcome: 'REFLASHED',
        previousFirmwareVersion: hub.firmwareVersion,
        firmwareVersion: target,
        imageSha256: done!.image_sha256,
      });
    }
    expect(manifest.totals).toMatchObject({ RETURN_REFLASHED: stock.length, RETURN_ALREADY_CURRENT: 0 });
  });
});
