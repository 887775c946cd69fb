import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, Simulator, Technician, generateStock, type HubTruth } from '../../jig-sim/index.js';
import { takeInStockOnFile } from '../helpers/take-in.js';
import { simulatedBenchKeys } from '../helpers/sim-as-jigs.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { MockN3Server } from '../helpers/mock-n3-server.js';

/** SIGKILLs and hubs; `npm run soak:reflash-kills` replays the run (30 kills, 288 hubs). */
const KILLS = Number(process.env.REFLASH_KILLS ?? 3);
const HUBS = Number(process.env.REFLASH_HUBS ?? 16);
const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));
const WO = 'WO-LOOP';

/**
 * Issue 9, the tester's run in small: the real daemon flashes a jig the virtual technician keeps
 * fed, and is SIGKILLed at random moments (so some kills land between ACTIVATE and the read-back);
 * then a last run finishes the stock. Every record is checked against the simulator's ground truth
 * (the technician's out-tray keeps the truth of each hub it took out): a hub this bench activated
 * an image on is never ALREADY_CURRENT or REJECTED, and a REFLASHED hub really runs the target;
 * the SSMI file and N3 say exactly what the records say.
 */
describe('flashd killed at random while the technician feeds a jig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-kill-loop-'));
  let daemon: DaemonProcess | undefined;
  afterAll(() => {
    daemon?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every record honest over ${KILLS} kills`, { timeout: 120_000 + KILLS * 15_000 + HUBS * 1_000 }, async () => {
    const stock = generateStock({ seed: 'reflash-kill-loop', count: HUBS });
    const sim = new Simulator({ jigs: 1, profileFor: () => ({ ...INSTANT_HUB_PROFILE, rebootMs: 1200 }) });
    sim.addStock(stock);
    const [jig] = await sim.listenTcp();
    const technician = new Technician(sim, { dwellMs: 50, swapMs: 20 });
    const n3 = new MockN3Server();
    await n3.up();
    const db = join(dir, 'flashd.db');
    takeInStockOnFile(db, { id: WO, secPartyId: 'PARTY-9', cspRegion: 'South', operatorId: 'goods-in' }, stock);
    const config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { path: db },
        api: { port: 0 },
        simulator: { enabled: false },
        ...simulatedBenchKeys(),
        jigs: [{ id: jig!.id, control: jig!.control, slots: jig!.slots, baudRate: 115_200 }],
        sessions: { baud: { rates: [] } },
        upstream: { mode: 'both', n3: { url: n3.url, token: 'kill-loop-token', pollIntervalMs: 20, retry: { minTimeoutMs: 20, maxTimeoutMs: 200 } } },
      }),
    );
    try {
      technician.start();
      for (let kill = 1; kill <= KILLS; kill++) {
        daemon = startDaemon(['--config', config]);
        await daemon.ready;
        await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 2700)));
        daemon.child.kill('SIGKILL');
        await daemon.exited;
      }
      daemon = startDaemon(['--config', config]);
      const url = await daemon.ready;
      const deadline = Date.now() + 60_000 + HUBS * 1_000;
      // Done when the stock is used up, every slot shows its result and the outbox is drained.
      for (;;) {
        const slots = (await (await fetch(`${url}/api/v1/slots`)).json()) as { items: Array<{ present: boolean; result: string | null }> };
        const outbox = (await (await fetch(`${url}/api/v1/outbox`)).json()) as { pending: number };
        if (sim.stock.length === 0 && slots.items.every((s) => !s.present || s.result !== null) && outbox.pending === 0) break;
        if (Date.now() > deadline) throw new Error('the last run did not finish the stock');
        await new Promise((r) => setTimeout(r, 200));
      }
      const ssmi = await (await fetch(`${url}/api/v1/work-orders/${WO}/ssmi`)).text();
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      daemon = undefined;
      technician.stop();

      // Ground truth: the hubs still in the slots, and each other one as the technician took it out last.
      const truth = new Map<string, HubTruth>(technician.tray.map((t) => [t.truth.deviceId, t.truth]));
      for (const t of sim.truth()) truth.set(t.deviceId, t);
      const conn = new Database(db, { readonly: true });
      const rows = conn.prepare('SELECT device_id, state, outcome, firmware_after FROM work_order_hubs WHERE work_order_id = ?').all(WO) as Array<{
        device_id: string;
        state: string;
        outcome: string | null;
        firmware_after: string | null;
      }>;
      conn.close();
      const lies: string[] = [];
      for (const row of rows) {
        const t = truth.get(row.device_id);
        if (!t) continue; // never left the stock
        const target = LATEST.get(t.model);
        if (t.flashCount > 0 && ['ALREADY_CURRENT', 'REJECTED'].includes(row.outcome ?? ''))
          lies.push(`${row.device_id}: flashed ${t.flashCount}x, recorded ${row.outcome}`);
        if (row.outcome === 'REFLASHED' && (t.firmwareVersion !== target || t.flashCount === 0))
          lies.push(`${row.device_id}: REFLASHED, runs ${t.firmwareVersion} (flashed ${t.flashCount}x)`);
      }
      expect(lies).toEqual([]);
      const reflashed = rows.filter((r) => r.outcome === 'REFLASHED');
      // The kills landed on working sessions, and most hubs went through.
      expect(reflashed.length).toBeGreaterThan(HUBS / 2);
      expect(ssmi.trim().split('\r\n').slice(1).sort()).toEqual(reflashed.map((r) => `${r.device_id},${r.firmware_after}`).sort());
      const reported = new Map(n3.acceptances.map((a) => [a.deviceId, (JSON.parse(a.body) as { outcome: string }).outcome]));
      for (const row of rows.filter((r) => r.outcome === 'REFLASHED' || r.outcome === 'ALREADY_CURRENT'))
        expect(reported.get(row.device_id), row.device_id).toBe(row.outcome);
    } finally {
      technician.stop();
      await sim.close();
      await n3.down();
    }
  });
});
