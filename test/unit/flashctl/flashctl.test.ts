import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { apiMetrics } from '../../helpers/api-metrics.js';
import { runFlashctl } from '../../../src/flashctl/cli.js';
import type { HubIdentity } from '../../../src/domain/hub-identity.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { ReportThread } from '../../../src/store/report-reader.js';
import { createStores } from '../../../src/store/stores.js';
import { N3OutboxSink } from '../../../src/upstream/n3-outbox-sink.js';

const ID = (n: number) => `00-DB-12-00-00-00-03-${n.toString(16).toUpperCase().padStart(2, '0')}`;

/** flashctl against a real flashd API listening on a local port (real HTTP, real store). */
describe('flashctl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashctl-'));
  let db: Db;
  let reports: ReportThread;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let url: string;
  let operator = 'bench';

  beforeAll(async () => {
    db = openDatabase(join(dir, 'f.db'));
    const stores = createStores(db);
    const bench = {
      slots: () => [],
      activeSessions: 0,
      get operatorId() {
        return operator;
      },
      setOperator: (id: string) => void (operator = id),
      retry: () => ({ jig: 'JIG-1', slot: 2 }),
    };
    app = await buildApp({
      benchId: 'B',
      bench,
      store: stores.flash,
      ...stores,
      isKnownModel: () => true,
      metrics: apiMetrics(bench, stores.outbox),
      log: pino({ level: 'silent' }),
      reports: (reports = new ReportThread({ path: join(dir, 'f.db') })),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await reports.close();
    db.close();
  });

  async function ctl(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runFlashctl(['--api', url, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, readStdin: async () => stdin });
    return { code, out, err };
  }

  it('imports a work order file, scans from stdin as a scanner types, and lists', async () => {
    const file = join(dir, 'wo.csv');
    writeFileSync(file, `deviceId,smiStatus\n${ID(1)},Pending\n${ID(2)},Pending\n${ID(3)},Commissioned\n`);
    expect(await ctl(['import', file, '--id', 'WO-7', '--party', 'P1', '--region', 'South'])).toMatchObject({
      code: 0,
      out: 'imported work order WO-7: 3 hubs for P1 (South)\n',
    });
    const scan = await ctl(['--operator', 'gi-1', 'scan', '--work-order', 'WO-7'], `${ID(1).toLowerCase()}\r\n ${ID(3)}\n\n`);
    expect(scan.code).toBe(4); // one was rejected
    expect(scan.out).toBe(
      `ACCEPTED  ${ID(1)}  WO-7\nREJECTED  ${ID(3)}  SMI_STATUS_NOT_PENDING: ${ID(3)} has SMI status Commissioned on work order WO-7; only Pending hubs are re-flashed\n`,
    );
    expect((await ctl(['scan', ID(2)])).code).toBe(0);
    // A mis-scan in a batch is named and skipped; the scans after it still go in.
    const batch = await ctl(['scan'], `00-DB-12-XX\n${ID(2)}\n`);
    expect(batch.code).toBe(4);
    expect(batch.err).toMatch(/^REFUSED {3}00-DB-12-XX {2}DEVICE_ID_INVALID: /);
    expect(batch.out).toMatch(new RegExp(`^REJECTED  ${ID(2)}  HUB_ALREADY_RECEIVED`));
    // A batch-level refusal (no such work order) still stops the batch, exit 1.
    expect(await ctl(['scan', '--work-order', 'WO-NONE', ID(2), ID(1)])).toMatchObject({ code: 1, out: '' });
    const list = await ctl(['work-orders']);
    expect(list.out.split('\n')[1]).toMatch(/^WO-7\s+P1\s+South\s+OPEN\s+3\s+ACCEPTED 2, REJECTED 1$/);
    const hubs = await ctl(['hubs', 'WO-7', '--state', 'accepted']);
    expect(hubs.out.trim().split('\n')).toHaveLength(3);
    const json = JSON.parse((await ctl(['--json', 'work-order', 'WO-7'])).out) as { hubs: Array<{ receivedBy: string | null }> };
    expect(json.hubs.map((h) => h.receivedBy)).toEqual(['gi-1', 'bench', 'gi-1']);
  });

  it('prints every bad line of a refused import and exits 1, storing nothing', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `deviceId,model\n${ID(9)},0101030B\nnot-an-id,0101030B\n${ID(9)},0101030B,extra\n`);
    const r = await ctl(['import', file, '--id', 'WO-8', '--party', 'P1', '--region', 'North']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('flashctl: WORK_ORDER_INVALID: work order WO-8: 2 bad lines, nothing stored');
    expect(r.err).toContain('  line 3: DEVICE_ID_INVALID: ');
    expect(r.err).toContain('  line 4: CSV_COLUMN_COUNT: line 4 has 3 fields; the header has 2\n');
    expect((await ctl(['work-order', 'WO-8'])).err).toBe('flashctl: NOT_FOUND: no work order WO-8\n');
  });

  it('retries, refuses scrap of a hub not proposed for it, returns all ready hubs and writes the SSMI and charges files', async () => {
    expect((await ctl(['retry', ID(1)])).out).toBe(`retrying ${ID(1)} in JIG-1 slot 2\n`);
    expect(await ctl(['--operator', 'tech-1', 'confirm-scrap', ID(1)])).toMatchObject({ code: 1, err: expect.stringContaining('HUB_TRANSITION_ILLEGAL') });
    expect(await ctl(['return', 'WO-7', '--all-ready', '--party', 'P1'])).toMatchObject({ code: 0, out: 'returned 1 hubs to P1; work order WO-7 is OPEN\n' });
    const out = join(dir, 'ssmi.csv');
    expect((await ctl(['ssmi', 'WO-7', '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('deviceId,firmwareVersion\r\n');
    expect((await ctl(['charges', '--csv'])).out.split('\r\n')[1]).toMatch(/^P1,WO-7,South,OPEN,[^,]+,3,0,0,1,0,2,0$/);
    // A billing period that ended before the work order existed charges nothing; a bad date is named.
    expect((await ctl(['charges', '--csv', '--to', '2020-01-01'])).out).toBe(
      'secPartyId,workOrderId,cspRegion,workOrderState,createdAt,hubs,reflashed,alreadyCurrent,rejected,scrapped,inProcess,notReceived\r\n',
    );
    expect(await ctl(['charges', '--from', '2026-02-30'])).toMatchObject({ code: 1, err: expect.stringContaining('PERIOD_INVALID') });
    expect((await ctl(['operator', 'tech-5'])).out).toBe('tech-5\n');
    expect((await ctl(['operator'])).out).toBe('tech-5\n');
  });

  it('exits 2 on bad usage and 3 when flashd cannot be reached', async () => {
    expect((await ctl(['frobnicate'])).code).toBe(2);
    expect((await ctl(['import', 'x.csv'])).err).toContain('import needs --id, --party and --region');
    expect((await ctl(['scan', '--bogus'])).code).toBe(2);
    expect((await ctl(['--help'])).out).toContain('flashctl confirm-scrap <deviceId>');
    const unreachable = await runFlashctl(['--api', 'http://127.0.0.1:9', 'work-orders'], {
      stdout: () => {},
      stderr: () => {},
      env: {},
      readStdin: async () => '',
    });
    expect(unreachable).toBe(3);
  });
  it('shows the N3 outbox with its dead letters and re-queues one', async () => {
    const catalogue = () => ({ hanVariant: 'Single Band' as const, smetsChtsVersion: 'V1.3', version: '0002012F', sha256: 'ab'.repeat(32) });
    const stores = createStores(db, { sinks: [new N3OutboxSink(db, { catalogue })] });
    stores.workOrders.create(
      { id: 'WO-N3', secPartyId: 'P1', cspRegion: 'North', source: 'api', operatorId: 't' },
      { hubs: [{ deviceId: ID(9) }] },
      () => true,
    );
    stores.intake.scan({ deviceId: ID(9), operatorId: 't' });
    const identity = {
      deviceId: ID(9),
      gpfDeviceId: ID(10),
      manufacturer: '1086',
      model: '0101030B',
      hardwareVersion: 2,
      firmwareVersion: '0002012A',
      locked: true,
    } as HubIdentity;
    const attemptId = stores.flash.beginAttempt({
      identity,
      benchId: 'B',
      jigId: 'JIG-1',
      slot: 3,
      startedAt: new Date(),
      workOrderId: 'WO-N3',
      operatorId: 't',
    });
    stores.flash.finishAttempt(attemptId, {
      result: 'REFLASHED',
      firmwareTarget: '0002012F',
      firmwareAfter: '0002012F',
      imageSha256: 'ab'.repeat(32),
      hubSha256: 'ab'.repeat(32),
      timings: {},
    });
    const id = db.prepare('SELECT id FROM n3_outbox').pluck().get() as number;
    stores.outbox.markDead(id, { at: new Date().toISOString(), status: 422, code: 'N3_REJECTED', message: 'HTTP 422: INVALID cspRegion' });
    const shown = await ctl(['outbox']);
    expect(shown.out.split('\n')[0]).toBe('mode ssmi: 0 pending (0 behind a dead letter), 0 delivered, 1 dead');
    expect(shown.out).toMatch(new RegExp(`\\n${id}\\s+${ID(9)}\\s+WO-N3\\s+REFLASHED\\s+HTTP 422: INVALID cspRegion\\n`));
    expect(await ctl(['--operator', 'tech-ben', 'requeue', String(id)])).toMatchObject({
      code: 0,
      out: `outbox ${id} (${ID(9)}, REFLASHED) is PENDING again; last reason: HTTP 422: INVALID cspRegion\n`,
    });
    expect(await ctl(['requeue', String(id)])).toMatchObject({ code: 1, err: expect.stringContaining('OUTBOX_NOT_DEAD') });
    expect(await ctl(['requeue', 'x'])).toMatchObject({ code: 2 });
  });
});
