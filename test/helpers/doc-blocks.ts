import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

/** JSON lines from the fenced blocks of a given language in a docs/ file. */
export function docJsonBlocks<T>(file: string, language: string): T[] {
  const text = readFileSync(join(PACKAGE_ROOT, 'docs', file), 'utf8');
  const out: T[] = [];
  const re = new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g');
  for (const match of text.matchAll(re)) {
    for (const line of match[1]!.split('\n')) if (line.trim()) out.push(JSON.parse(line) as T);
  }
  return out;
}
