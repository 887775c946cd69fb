import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openNotifySocket, watchdogIntervalMs } from '../../../src/daemon/sd-notify.js';
import { Supervision } from '../../../src/daemon/supervision.js';

describe('Supervision', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function make(pendingN3: () => number): { sent: string[]; supervision: Supervision } {
    const sent: string[] = [];
    const supervision = new Supervision({
      sink: (m) => sent.push(m),
      facts: {
        jigs: () => [
          { id: 'J1', connected: true },
          { id: 'J2', connected: false },
        ],
        activeSessions: () => 3,
        pendingN3,
      },
      watchdogMs: 3000,
      log: pino({ level: 'silent' }),
      now: Date.now,
    });
    return { sent, supervision };
  }

  it('says READY with a STATUS a person can read, then pings every WatchdogSec/3', () => {
    const { sent, supervision } = make(() => 12);
    supervision.ready();
    expect(sent).toEqual(['READY=1\nSTATUS=jigs 1/2 connected, 3 sessions running, 12 N3 reports pending']);
    vi.advanceTimersByTime(3000);
    expect(sent.slice(1)).toEqual(['WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
  });

  it('feeds no watchdog while the store cannot be read, and says so once in STATUS', () => {
    let readable = true;
    const { sent, supervision } = make(() => {
      if (!readable) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      return 0;
    });
    supervision.ready();
    readable = false;
    vi.advanceTimersByTime(3000);
    expect(sent.slice(1)).toEqual(['STATUS=store unreadable: watchdog not fed']);
    readable = true;
    vi.advanceTimersByTime(1000);
    expect(sent.slice(2)).toEqual(['STATUS=jigs 1/2 connected, 3 sessions running, 0 N3 reports pending\nWATCHDOG=1']);
  });

  it('sends STOPPING=1 and no pings after it', () => {
    const { sent, supervision } = make(() => 0);
    supervision.ready();
    supervision.stopping('SIGTERM');
    vi.advanceTimersByTime(10_000);
    expect(sent.slice(1)).toEqual(['STOPPING=1\nSTATUS=stopping (SIGTERM)']);
  });

  it('is off without NOTIFY_SOCKET, and refuses an abstract socket by name (unix-dgram reaches paths only)', () => {
    expect(openNotifySocket({})).toBeUndefined();
    expect(() => openNotifySocket({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' })).toThrow(/NOTIFY_SOCKET=@\/org.*only a socket path is supported/);
  });

  it('takes WATCHDOG_USEC only when WATCHDOG_PID is unset or this process', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 7)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' }, 7)).toBeUndefined();
    expect(watchdogIntervalMs({}, 7)).toBeUndefined();
  });
});
