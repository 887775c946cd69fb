import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSysfsPorts } from '../../../src/jig/sysfs-ports.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A sysfs and /dev as the kernel and udev lay them out for one FT4232 (4 ports), a UART and a vt. */
function fakeMachine(): { sys: string; dev: string } {
  root = mkdtempSync(join(tmpdir(), 'flashd-sysfs-'));
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  const usb = join(sys, 'devices/pci0000:00/0000:00:14.0/usb1/1-2');
  mkdirSync(usb, { recursive: true });
  for (const [name, value] of [
    ['idVendor', '0403'],
    ['idProduct', '6011'],
    ['serial', 'FT9XJ2AB'],
    ['manufacturer', 'FTDI'],
  ])
    writeFileSync(join(usb, name!), `${value}\n`);
  mkdirSync(join(sys, 'class/tty'), { recursive: true });
  mkdirSync(join(dev, 'serial/by-id'), { recursive: true });
  for (let i = 0; i < 4; i++) {
    const port = join(usb, `1-2:1.${i}`, `ttyUSB${i}`);
    mkdirSync(join(port, 'tty'), { recursive: true });
    mkdirSync(join(sys, 'class/tty', `ttyUSB${i}`));
    symlinkSync(port, join(sys, 'class/tty', `ttyUSB${i}`, 'device'));
    symlinkSync(`../../ttyUSB${i}`, join(dev, 'serial/by-id', `usb-FTDI_Quad_RS232-HS_FT9XJ2AB-if0${i}-port0`));
  }
  // An on-board UART (platform device, no USB parent) and a virtual terminal (no device at all).
  const uart = join(sys, 'devices/platform/serial8250/tty/ttyS0');
  mkdirSync(uart, { recursive: true });
  mkdirSync(join(sys, 'class/tty/ttyS0'));
  symlinkSync(join(sys, 'devices/platform/serial8250'), join(sys, 'class/tty/ttyS0/device'));
  mkdirSync(join(sys, 'class/tty/tty1'));
  return { sys, dev };
}

describe('serial adapters from sysfs (no udevadm)', () => {
  it('lists each USB port with the adapter’s vendor, product, serial and by-id name, and nothing else', async () => {
    const roots = fakeMachine();
    const ports = await listSysfsPorts(roots);
    expect(ports).toHaveLength(4);
    expect(ports[2]).toEqual({
      path: join(roots.dev, 'ttyUSB2'),
      vendorId: '0403',
      productId: '6011',
      serialNumber: 'FT9XJ2AB',
      manufacturer: 'FTDI',
      pnpId: 'usb-FTDI_Quad_RS232-HS_FT9XJ2AB-if02-port0',
    });
  });

  it('is empty, not an error, on a machine with no USB serial adapter and no /dev/serial', async () => {
    const roots = fakeMachine();
    rmSync(join(roots.dev, 'serial'), { recursive: true });
    for (let i = 0; i < 4; i++) rmSync(join(roots.sys, 'class/tty', `ttyUSB${i}`), { recursive: true });
    expect(await listSysfsPorts(roots)).toEqual([]);
  });
});
