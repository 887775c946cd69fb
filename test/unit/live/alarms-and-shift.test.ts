import { describe, expect, it } from 'vitest';
import { emptySlot, type SlotView } from '../../../src/bench/slot-view.js';
import { alarmsFrom } from '../../../src/live/alarms.js';
import { slotLed } from '../../../src/live/slot-tile.js';
import { openDatabase } from '../../../src/store/open-database.js';
import { ShiftFigureReader } from '../../../src/store/shift-figures.js';

const GiB = 1024 ** 3;
const done = (over: Partial<SlotView>): SlotView => ({ ...emptySlot('J', 1), present: true, phase: 'DONE', ...over });

describe('alarms', () => {
  const healthy = { jigs: [{ id: 'J', connected: true }], slots: [emptySlot('J', 1)], deadLetters: 0, disk: { freeBytes: 50 * GiB, totalBytes: 100 * GiB } };

  it('raises none on a healthy bench, and each one with its help anchor when its cause is there', () => {
    expect(alarmsFrom(healthy)).toEqual([]);
    const all = alarmsFrom({
      jigs: [
        { id: 'J', connected: false },
        { id: 'K', connected: true },
      ],
      slots: [done({ result: 'FAILED', error: { code: 'STORE_WRITE_FAILED', message: 'disk I/O error' } })],
      deadLetters: 2,
      disk: { freeBytes: 0.5 * GiB, totalBytes: 100 * GiB },
    });
    expect(all.map((a) => [a.code, a.help])).toEqual([
      ['JIG_OFFLINE', 'help-jig-offline'],
      ['STORE_WRITE_FAILED', 'help-store'],
      ['N3_DEAD_LETTERS', 'help-n3'],
      ['DISK_NEARLY_FULL', 'help-disk'],
    ]);
    expect(all[0]!.message).toBe('Jig J disconnected');
    expect(all[2]!.message).toBe('2 N3 reports not delivered');
  });

  it('raises STORE_FULL for the slots whose hub waits on a full store, and the slot blinks red', () => {
    const waiting = done({ error: { code: 'STORE_FULL', message: 'the store is full' } });
    expect(alarmsFrom({ ...healthy, slots: [waiting, { ...waiting, slot: 3 }] })).toEqual([
      { code: 'STORE_FULL', severity: 'critical', message: 'Store full, no new sessions: slot J/1, J/3 waiting', help: 'help-store' },
    ]);
    expect(slotLed(waiting)).toEqual({ colour: 'RED', blink: true });
  });

  it('calls a disk nearly full below 5 % free even when that is more than 1 GiB, and not when it cannot tell', () => {
    expect(alarmsFrom({ ...healthy, disk: { freeBytes: 40 * GiB, totalBytes: 1000 * GiB } }).map((a) => a.code)).toEqual(['DISK_NEARLY_FULL']);
    expect(alarmsFrom({ ...healthy, disk: null })).toEqual([]);
  });
});

describe('slot LED mirror', () => {
  it('follows the rules the bench sets the jig LED by', () => {
    expect(slotLed(emptySlot('J', 1))).toEqual({ colour: 'OFF', blink: false });
    expect(slotLed(done({ phase: 'TRANSFERRING' }))).toEqual({ colour: 'BLUE', blink: true });
    expect(slotLed(done({ result: 'REFLASHED' }))).toEqual({ colour: 'GREEN', blink: false });
    expect(slotLed(done({ result: 'REJECTED' }))).toEqual({ colour: 'AMBER', blink: false });
    expect(slotLed(done({ result: 'FAILED' }))).toEqual({ colour: 'RED', blink: false });
    expect(slotLed(done({ result: 'FAILED', hubState: 'SCRAP_PROPOSED' }))).toEqual({ colour: 'RED', blink: true });
  });
});

describe('shift figures', () => {
  it('counts hubs done in the last hour and today, first-pass yield and failures by reason', () => {
    const db = openDatabase(':memory:');
    const now = new Date(2026, 10, 30, 15, 30); // local time: every attempt below is on the same local day
    const hub = db.prepare(
      `INSERT INTO hubs (device_id, gpf_device_id, manufacturer, model, hardware_version, state, previous_firmware_version, firmware_version, first_seen_at, updated_at)
       VALUES (?, ?, '1086', '0101030B', 1, 'FINISHED', '00020129', '00020129', ?, ?)`,
    );
    const attempt = db.prepare(
      `INSERT INTO attempts (device_id, bench_id, jig_id, slot, started_at, finished_at, result, firmware_before, firmware_target, firmware_after, image_sha256, hub_sha256, error_code)
       VALUES (?, 'B', 'J', 1, ?, ?, ?, '00020129', '0002012F', ?, 'aa', 'aa', ?)`,
    );
    const at = (minutesAgo: number): string => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
    const add = (n: number, minutesAgo: number, result: string, error: string | null = null): void => {
      const id = `00-DB-12-00-00-00-00-${n.toString(16).toUpperCase().padStart(2, '0')}`;
      if (!db.prepare('SELECT 1 FROM hubs WHERE device_id = ?').get(id)) hub.run(id, id.replace('00-DB', '00-DC'), at(minutesAgo), at(minutesAgo));
      attempt.run(id, at(minutesAgo + 1), at(minutesAgo), result, result === 'REFLASHED' ? '0002012F' : null, error);
    };
    add(1, 10, 'REFLASHED'); // passed first time, last hour
    add(2, 120, 'REFLASHED'); // passed first time, earlier today
    add(3, 100, 'FAILED', 'HUB_TIMEOUT');
    add(3, 20, 'REFLASHED'); // passed on the second attempt
    add(4, 50, 'FAILED', 'HUB_TIMEOUT');
    add(5, 40, 'REJECTED'); // a rejection is not a first-pass failure
    add(6, 30, 'FAILED', 'UNLOCK_REFUSED');
    const f = new ShiftFigureReader(db, () => now).read();
    expect(f.lastHour).toBe(2);
    expect(f.today).toBe(3);
    expect(f.firstAttempts).toBe(5); // hubs 1, 2, 3, 4, 6
    expect(f.firstPassYield).toBeCloseTo(2 / 5);
    expect(f.failures).toEqual([
      { code: 'HUB_TIMEOUT', count: 2 },
      { code: 'UNLOCK_REFUSED', count: 1 },
    ]);
    expect(f.hourly.reduce((n, h) => n + h.done, 0)).toBe(3);
    expect(f.perHourToday).toBe(Math.round(3 / (121 / 60)));
    db.close();
  });
});
