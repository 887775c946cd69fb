import { describe, expect, it } from 'vitest';
import { parseLinkUrl } from '../../../src/link/link-url.js';
import { isFlashdError } from '../../../src/domain/errors.js';

describe('parseLinkUrl', () => {
  it('accepts device paths, socket:// and sim://', () => {
    expect(parseLinkUrl('/dev/ttyUSB0')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0' });
    expect(parseLinkUrl('serial:///dev/ttyACM1')).toEqual({ kind: 'serial', path: '/dev/ttyACM1' });
    expect(parseLinkUrl('socket://127.0.0.1:7001')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 7001 });
    expect(parseLinkUrl('socket://[::1]:7001')).toEqual({ kind: 'tcp', host: '::1', port: 7001 });
    expect(parseLinkUrl('sim://JIG-1/3')).toEqual({ kind: 'in-process', name: 'JIG-1/3' });
  });

  it.each(['ttyUSB0', 'socket://host', 'socket://host:0', 'socket://host:70000', 'tcp://h:1', 'sim://', ''])('refuses %j with LINK_URL_INVALID', (url) => {
    try {
      parseLinkUrl(url);
      expect.unreachable();
    } catch (err) {
      expect(isFlashdError(err, 'LINK_URL_INVALID')).toBe(true);
      expect((err as Error).message).toContain(url);
    }
  });
});
