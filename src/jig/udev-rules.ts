import type { AdapterView } from './adapters.js';

/** Where `flashctl udev-rules --write` puts the rules: same name as the packaged template, which it overrides. */
export const UDEV_RULES_FILE = '/etc/udev/rules.d/99-flashd-jigs.rules';

/**
 * udev rules that give each configured, present adapter a stable name from its USB serial
 * number: /dev/flashd/jig-N/control and /dev/flashd/jig-N/slot-1..8 (N: the jig's place in the
 * config). A multi-port adapter's ports share one serial number: its USB interface tells them apart.
 * Adapters without a serial number cannot be named this way and are listed as comments.
 */
export function udevRules(adapters: readonly AdapterView[], generatedAt: string): string {
  const lines = [
    "# flashd: stable names for the jigs' serial adapters, by USB serial number.",
    `# Written by \`flashctl udev-rules\` at ${generatedAt}; edit the config, then run it again.`,
    '# Apply: udevadm control --reload-rules && udevadm trigger --subsystem-match=tty',
  ];
  const configured = adapters
    .filter((a) => a.status === 'configured' && a.role)
    .sort((a, b) => a.role!.jigNumber - b.role!.jigNumber || order(a.role!.line) - order(b.role!.line));
  for (const a of configured) {
    const role = a.role!;
    const name = `flashd/jig-${role.jigNumber}/${role.line}`;
    if (!a.serialNumber || !a.vendorId || !a.productId) {
      lines.push(`# ${role.jig} ${role.line} (${a.path}): the adapter reports no USB serial number; keep its by-id or tty path in the config`);
      continue;
    }
    const match = [`SUBSYSTEM=="tty"`, `ATTRS{idVendor}=="${a.vendorId}"`, `ATTRS{idProduct}=="${a.productId}"`, `ATTRS{serial}=="${escape(a.serialNumber)}"`];
    if (a.interfaceNumber) match.push(`ENV{ID_USB_INTERFACE_NUM}=="${a.interfaceNumber}"`);
    lines.push(`# ${role.jig} ${role.line} (now ${a.path})`, `${match.join(', ')}, SYMLINK+="${name}", GROUP="dialout", MODE="0660"`);
  }
  if (configured.length === 0) lines.push('# no configured jig adapter is plugged in: nothing to name yet (flashctl adapters)');
  return `${lines.join('\n')}\n`;
}

function order(line: string): number {
  return line === 'control' ? 0 : Number(line.slice('slot-'.length));
}

/** udev strings are double-quoted; a serial number with a quote or backslash is not matched literally otherwise. */
function escape(value: string): string {
  if (/["\\\n]/.test(value)) throw new RangeError(`USB serial number ${JSON.stringify(value)} cannot be written into a udev rule`);
  return value;
}
