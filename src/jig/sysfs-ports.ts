import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ListedPort } from './adapters.js';

/** Where the kernel's views live; tests point these at a fake tree. */
export interface SysfsRoots {
  sys: string;
  dev: string;
}

const LINUX: SysfsRoots = { sys: '/sys', dev: '/dev' };

/**
 * The USB serial adapters, read straight from sysfs and /dev/serial/by-id: what udev itself reads,
 * without running `udevadm` (serialport's `list()` does, and a minimal Debian install or a
 * container has none). A tty counts when its device sits under a USB device; the vendor, product,
 * serial number and manufacturer come from that device's attributes.
 */
export async function listSysfsPorts(roots: SysfsRoots = LINUX): Promise<ListedPort[]> {
  const ttyDir = join(roots.sys, 'class/tty');
  const byId = await byIdNames(roots);
  const ports: ListedPort[] = [];
  for (const name of (await readdir(ttyDir)).sort()) {
    let device: string;
    try {
      device = await realpath(join(ttyDir, name, 'device'));
    } catch {
      continue; // a virtual terminal or pty: no device behind it
    }
    const usb = await usbDeviceOf(device, roots.sys);
    if (!usb) continue;
    const path = join(roots.dev, name);
    ports.push({
      path,
      vendorId: await attribute(usb, 'idVendor'),
      productId: await attribute(usb, 'idProduct'),
      serialNumber: await attribute(usb, 'serial'),
      manufacturer: await attribute(usb, 'manufacturer'),
      pnpId: byId.get(path),
    });
  }
  return ports;
}

/** The USB device (the directory with idVendor) at or above a tty's device, if any. */
async function usbDeviceOf(device: string, sysRoot: string): Promise<string | undefined> {
  for (let dir = device; dir.startsWith(sysRoot) && dir !== sysRoot; dir = dirname(dir)) {
    if ((await attribute(dir, 'idVendor')) !== undefined) return dir;
  }
  return undefined;
}

async function attribute(dir: string, name: string): Promise<string | undefined> {
  try {
    const value = (await readFile(join(dir, name), 'utf8')).trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** /dev/serial/by-id names by the device node they point at (/dev/ttyUSB3 → usb-FTDI_…-if02-port0). */
async function byIdNames(roots: SysfsRoots): Promise<Map<string, string>> {
  const dir = join(roots.dev, 'serial/by-id');
  const names = new Map<string, string>();
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return names; // no USB serial adapter plugged in: udev has not made the folder
  }
  for (const entry of entries) {
    try {
      const target = await readlink(join(dir, entry));
      names.set(join(roots.dev, basename(target)), entry);
    } catch {
      // not a link: ignore
    }
  }
  return names;
}
