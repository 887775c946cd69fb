/** Left-aligned columns for a terminal: the header, then one line per row. */
export function table(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** `{ EXPECTED: 3, ACCEPTED: 1 }` as `EXPECTED 3, ACCEPTED 1`. */
export function counts(values: Record<string, number>): string {
  return Object.entries(values)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
