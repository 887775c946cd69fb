import { Kind, type TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.js';

/** The closest known key at a JSON path, for "did you mean" in config errors. */
export function suggestKey(key: string, parentPath: string): string | undefined {
  return closest(key, keysAt(ConfigSchema, parentPath.split('/').filter(Boolean)));
}

/** The candidate nearest to `key` (a prefix of 3+ characters, or a small edit distance), if any is near. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    if (key.length >= 3 && candidate.toLowerCase().startsWith(key.toLowerCase())) return candidate;
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function keysAt(schema: TSchema, path: string[]): string[] {
  let node: TSchema | undefined = schema;
  for (const part of path) {
    if (!node) return [];
    if (node[Kind] === 'Array') node = (node as unknown as { items: TSchema }).items;
    else if (node[Kind] === 'Object') node = (node as unknown as { properties: Record<string, TSchema> }).properties[part];
    else return [];
  }
  if (node?.[Kind] === 'Array') node = (node as unknown as { items: TSchema }).items;
  return node?.[Kind] === 'Object' ? Object.keys((node as unknown as { properties: Record<string, TSchema> }).properties) : [];
}

/** Levenshtein distance; keys are short, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
