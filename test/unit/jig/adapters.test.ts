import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import type { JigConfig } from '../../../src/config/schema.js';
import { runFlashctl } from '../../../src/flashctl/cli.js';
import { listAdapters, type ListedPort } from '../../../src/jig/adapters.js';
import { udevRules } from '../../../src/jig/udev-rules.js';
import { createStores } from '../../../src/store/stores.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { apiMetrics } from '../../helpers/api-metrics.js';
import { inlineReports } from '../../../src/store/report-reader.js';

const FTDI = (n: number, iface = '00'): ListedPort => ({
  path: `/dev/ttyUSB${n}`,
  manufacturer: 'FTDI',
  serialNumber: n < 4 ? 'FT4J1A' : `FTS${n}`,
  pnpId: `usb-FTDI_Quad_RS232-HS_${n < 4 ? 'FT4J1A' : `FTS${n}`}-if${iface}-port0`,
  vendorId: '0403',
  productId: n < 4 ? '6011' : '6001',
});

/**
 * Adapters as serialport lists them, against a config that names them three ways: a udev name
 * (a symlink to the tty, made here in a temp dir), a /dev/serial/by-id path, and a plain tty.
 */
describe('serial adapters: listing, flashctl adapters and udev-rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-adapters-'));
  const udevName = join(dir, 'jig-1-control');
  // The udev name is a symlink to the tty; a file here stands in for /dev/ttyUSB0, which CI lacks.
  const tty0 = join(dir, 'ttyUSB0');
  const listed: ListedPort[] = [
    { ...FTDI(0, '00'), path: tty0 },
    FTDI(1, '01'),
    FTDI(7),
    { path: '/dev/ttyACM0', manufacturer: 'Arduino', vendorId: '2341', productId: '0043', serialNumber: 'ARD1', pnpId: 'usb-Arduino_ARD1-if00' },
  ];
  const jigs: JigConfig[] = [
    { id: 'J-A', control: udevName, slots: [`/dev/serial/by-id/${FTDI(1, '01').pnpId}`, '/dev/ttyUSB9'], baudRate: 115_200 },
    { id: 'J-B', control: 'socket://127.0.0.1:7001', slots: ['/dev/ttyUSB7'], baudRate: 115_200 },
  ];
  let db: Db;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let url: string;

  beforeAll(async () => {
    writeFileSync(tty0, '');
    symlinkSync(tty0, udevName);
    db = openDatabase(join(dir, 'f.db'));
    const stores = createStores(db);
    const bench = { slots: () => [], activeSessions: 0, operatorId: 'bench', setOperator: () => undefined, retry: () => ({ jig: 'J-A', slot: 1 }) };
    app = await buildApp({
      benchId: 'B',
      bench,
      store: stores.flash,
      ...stores,
      isKnownModel: () => true,
      metrics: apiMetrics(bench, stores.outbox),
      log: pino({ level: 'silent' }),
      reports: inlineReports(db),
      adapters: () => listAdapters(jigs, async () => listed),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runFlashctl(['--api', url, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, readStdin: async () => '' });
    return { code, out, err };
  }

  it('GET /api/v1/adapters: configured (by udev name, by-id, tty), unknown, and configured but missing', async () => {
    const reply = await app.inject({ method: 'GET', url: '/api/v1/adapters' });
    expect(reply.statusCode).toBe(200);
    const items = reply.json<{ items: Array<Record<string, unknown>> }>().items;
    expect(items.map((a) => [a.status, a.path, (a.role as { jig: string; line: string } | null)?.line ?? null])).toEqual([
      ['configured', tty0, 'control'],
      ['configured', '/dev/ttyUSB1', 'slot-1'],
      ['configured', '/dev/ttyUSB7', 'slot-1'],
      ['unknown', '/dev/ttyACM0', null],
      ['missing', '/dev/ttyUSB9', 'slot-2'],
    ]);
    expect(items[0]).toMatchObject({
      byId: '/dev/serial/by-id/usb-FTDI_Quad_RS232-HS_FT4J1A-if00-port0',
      vendorId: '0403',
      productId: '6011',
      serialNumber: 'FT4J1A',
      interfaceNumber: '00',
      configuredPath: udevName,
    });
  });

  it('flashctl adapters prints one line per adapter with its status and jig port', async () => {
    const { code, out } = await ctl(['adapters']);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^STATUS\s+PATH\s+JIG PORT\s+USB\s+SERIAL\s+BY-ID$/);
    expect(lines.find((l) => l.includes('/dev/ttyACM0'))).toMatch(/^unknown\s+\/dev\/ttyACM0\s+-\s+2341:0043\s+ARD1\s/);
    expect(lines.find((l) => l.includes('/dev/ttyUSB9'))).toMatch(/^missing\s+\/dev\/ttyUSB9\s+J-A slot-2/);
  });

  it('flashctl udev-rules names each jig port by USB serial (and interface on a multi-port adapter)', async () => {
    const file = join(dir, 'rules');
    const { code, err } = await ctl(['udev-rules', '--out', file]);
    expect(code).toBe(0);
    expect(err).toMatch(/udevadm control --reload-rules/);
    const rules = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('SUBSYSTEM'));
    expect(rules).toEqual([
      'SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6011", ATTRS{serial}=="FT4J1A", ENV{ID_USB_INTERFACE_NUM}=="00", SYMLINK+="flashd/jig-1/control", GROUP="dialout", MODE="0660"',
      'SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6011", ATTRS{serial}=="FT4J1A", ENV{ID_USB_INTERFACE_NUM}=="01", SYMLINK+="flashd/jig-1/slot-1", GROUP="dialout", MODE="0660"',
      'SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="FTS7", ENV{ID_USB_INTERFACE_NUM}=="00", SYMLINK+="flashd/jig-2/slot-1", GROUP="dialout", MODE="0660"',
    ]);
  });

  it('refuses a serial number that cannot be written into a rule, and comments out an adapter without one', () => {
    const view = {
      status: 'configured' as const,
      path: '/dev/ttyUSB0',
      byId: null,
      vendorId: '0403',
      productId: '6001',
      manufacturer: null,
      interfaceNumber: null,
      configuredPath: '/dev/ttyUSB0',
      role: { jig: 'J', jigNumber: 1, line: 'control' },
    };
    expect(() => udevRules([{ ...view, serialNumber: 'A"B' }], 'now')).toThrow(RangeError);
    expect(udevRules([{ ...view, serialNumber: null }], 'now')).toMatch(/^# J control \(\/dev\/ttyUSB0\): the adapter reports no USB serial number/m);
  });

  it('answers ADAPTERS_UNAVAILABLE (503) when the ports cannot be listed', async () => {
    const { FlashdError } = await import('../../../src/domain/errors.js');
    const failing = await buildApp({
      ...(await deps()),
      adapters: async () => Promise.reject(new FlashdError('ADAPTERS_UNAVAILABLE', 'cannot list the serial adapters: spawn udevadm ENOENT')),
    });
    const reply = await failing.inject({ method: 'GET', url: '/api/v1/adapters' });
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({ error: { code: 'ADAPTERS_UNAVAILABLE' } });
    await failing.close();
  });

  async function deps(): Promise<Parameters<typeof buildApp>[0]> {
    const stores = createStores(db);
    const bench = { slots: () => [], activeSessions: 0, operatorId: 'bench', setOperator: () => undefined, retry: () => ({ jig: 'J-A', slot: 1 }) };
    return {
      benchId: 'B',
      bench,
      store: stores.flash,
      ...stores,
      isKnownModel: () => true,
      metrics: apiMetrics(bench, stores.outbox),
      log: pino({ level: 'silent' }),
      reports: inlineReports(db),
    };
  }
});
