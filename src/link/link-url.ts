import { FlashdError } from '../domain/errors.js';

/** Where a serial line is: a local device, a TCP socket (ser2net), or an in-process simulator line. */
export type LinkAddress = { kind: 'serial'; path: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'in-process'; name: string };

/**
 * Parses a link address: `/dev/ttyUSB0` (or `serial:///dev/ttyUSB0`), `socket://127.0.0.1:7001`
 * as ser2net and the simulator expose lines, or `sim://jig-1/3` for a line of an in-process simulator.
 */
export function parseLinkUrl(url: string): LinkAddress {
  if (url.startsWith('/')) return { kind: 'serial', path: url };
  if (url.startsWith('serial://')) {
    const path = url.slice('serial://'.length);
    if (path.startsWith('/')) return { kind: 'serial', path };
  }
  if (url.startsWith('socket://')) {
    const match = /^socket:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(url);
    const port = match ? Number(match[2]) : NaN;
    if (match && port > 0 && port < 65536) return { kind: 'tcp', host: match[1]!.replace(/^\[|\]$/g, ''), port };
  }
  if (url.startsWith('sim://') && url.length > 'sim://'.length) return { kind: 'in-process', name: url.slice('sim://'.length) };
  throw new FlashdError('LINK_URL_INVALID', `"${url}" is not a link address: use a device path (/dev/ttyUSB0), socket://host:port or sim://name`, {
    details: { url },
  });
}
