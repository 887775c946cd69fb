import { realpath } from 'node:fs/promises';
import type { JigConfig } from '../config/schema.js';
import { FlashdError } from '../domain/errors.js';
import { listSysfsPorts } from './sysfs-ports.js';

/** A serial adapter as serialport's `list()` reports it (Linux: from sysfs and udev). */
export interface ListedPort {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  /** On Linux the adapter's name under /dev/serial/by-id. */
  pnpId?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/** Where a configured port sits on the bench: the jig (its place in the config, from 1) and the line. */
export interface PortRole {
  jig: string;
  jigNumber: number;
  /** `control` or `slot-1` … `slot-8`. */
  line: string;
}

/** One adapter and what flashd makes of it (`GET /api/v1/adapters`, docs/api.md). */
export interface AdapterView {
  /** configured: a jig port of the config, present; unknown: not in the config; missing: configured, absent. */
  status: 'configured' | 'unknown' | 'missing';
  /** The device node (/dev/ttyUSB3), or the configured path of a missing one. */
  path: string;
  byId: string | null;
  vendorId: string | null;
  productId: string | null;
  serialNumber: string | null;
  manufacturer: string | null;
  /** The USB interface of a multi-port adapter (FT4232…), from the by-id name; null for a single port. */
  interfaceNumber: string | null;
  role: PortRole | null;
  /** The path the config names it by (a udev name, a by-id link, a tty); null for an unknown one. */
  configuredPath: string | null;
}

/** Every configured port that is a device file (not socket:// or sim://), with its role. */
export function configuredPorts(jigs: readonly JigConfig[]): Array<{ path: string; role: PortRole }> {
  const ports: Array<{ path: string; role: PortRole }> = [];
  jigs.forEach((jig, i) => {
    const lines: Array<[string, string]> = [['control', jig.control], ...jig.slots.map((s, n): [string, string] => [`slot-${n + 1}`, s])];
    for (const [line, path] of lines) if (path.startsWith('/')) ports.push({ path, role: { jig: jig.id, jigNumber: i + 1, line } });
  });
  return ports;
}

/**
 * Sorts the listed adapters into configured and unknown, and adds each configured port that no
 * adapter answers to as missing. `resolved` maps a configured path to the device node it points
 * at now (udev and by-id names are symlinks); pure, so tests give it directly.
 */
export function classifyAdapters(
  listed: readonly ListedPort[],
  ports: ReadonlyArray<{ path: string; role: PortRole }>,
  resolved: ReadonlyMap<string, string>,
): AdapterView[] {
  const byNode = new Map(ports.map((p) => [resolved.get(p.path) ?? p.path, p]));
  const seen = new Set<string>();
  const views: AdapterView[] = listed.map((port) => {
    const byId = port.pnpId ? `/dev/serial/by-id/${port.pnpId}` : null;
    const match = byNode.get(port.path) ?? (byId ? byNode.get(byId) : undefined);
    if (match) seen.add(match.path);
    return {
      status: match ? 'configured' : 'unknown',
      path: port.path,
      byId,
      vendorId: port.vendorId?.toLowerCase() ?? null,
      productId: port.productId?.toLowerCase() ?? null,
      serialNumber: port.serialNumber ?? null,
      manufacturer: port.manufacturer ?? null,
      interfaceNumber: /-if(\d\d)(-|$)/.exec(port.pnpId ?? '')?.[1] ?? null,
      role: match?.role ?? null,
      configuredPath: match?.path ?? null,
    };
  });
  for (const p of ports) {
    if (seen.has(p.path)) continue;
    views.push({
      status: 'missing',
      path: p.path,
      byId: null,
      vendorId: null,
      productId: null,
      serialNumber: null,
      manufacturer: null,
      interfaceNumber: null,
      role: p.role,
      configuredPath: p.path,
    });
  }
  return views;
}

/** The serial adapters this machine has now, classified against the jigs of the config. */
export async function listAdapters(jigs: readonly JigConfig[], list: () => Promise<ListedPort[]> = listSerialPorts): Promise<AdapterView[]> {
  const ports = configuredPorts(jigs);
  const resolved = new Map<string, string>();
  await Promise.all(
    ports.map(async (p) => {
      try {
        resolved.set(p.path, await realpath(p.path));
      } catch {
        // absent: it stays under its configured name, and shows as missing unless an adapter has it
      }
    }),
  );
  return classifyAdapters(await list(), ports, resolved);
}

/**
 * The machine's serial adapters: on Linux read from sysfs (no `udevadm` needed), elsewhere
 * serialport's own listing; ADAPTERS_UNAVAILABLE when neither can be read.
 */
export async function listSerialPorts(): Promise<ListedPort[]> {
  try {
    if (process.platform === 'linux') return await listSysfsPorts();
    const { SerialPort } = await import('serialport');
    return await SerialPort.list();
  } catch (err) {
    throw new FlashdError('ADAPTERS_UNAVAILABLE', `cannot list the serial adapters: ${(err as Error).message}`, { cause: err });
  }
}
