import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../../src/log-format.js';
import { createLogger } from '../../../src/logger.js';

describe('terminal log lines', () => {
  it('turns a pino JSON line into time, level, message and fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-11-30T18:03:44.718Z',
      service: 'flashd',
      benchId: 'B',
      jig: 'JIG-1',
      slot: 4,
      msg: 'hub identified',
      action: 'flash',
    });
    expect(formatLogLine(line)).toBe('18:03:44 INFO  hub identified  jig=JIG-1 slot=4 action=flash\n');
  });

  it('shows an error by its code and message, and passes a non-JSON line through', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-11-30T18:03:44.718Z',
      msg: 'could not record attempt',
      err: { code: 'STORE_WRITE_FAILED', message: 'disk full', stack: 'at …' },
    });
    expect(formatLogLine(line)).toBe('18:03:44 ERROR could not record attempt  err="STORE_WRITE_FAILED: disk full"\n');
    expect(formatLogLine('plain text')).toBe('plain text\n');
  });

  it('keeps redaction in pretty mode: the formatter sees what pino already censored', () => {
    let out = '';
    const sink = new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString()), done()) });
    const log = createLogger('info', sink);
    log.info({ upstream: { n3: { token: 'secret-token' } } }, 'config');
    const pretty = formatLogLine(out.trim());
    expect(pretty).toContain('[redacted]');
    expect(pretty).not.toContain('secret-token');
  });
});
