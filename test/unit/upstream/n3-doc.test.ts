import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { canonicalJson, N3_FIELDS } from '../../../src/upstream/n3-notification.js';
import { docJsonBlocks } from '../../helpers/doc-blocks.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs/n3.md'), 'utf8');

describe('docs/n3.md', () => {
  it('gives a source for every mandatory field, and no field the notification lacks', () => {
    const section = doc.slice(doc.indexOf('## The notification'), doc.indexOf('When results are reported'));
    const named = new Set([...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(\w+)`/g)].map((f) => f[1]!)));
    expect([...named].sort()).toEqual([...N3_FIELDS].sort());
  });

  it('shows an example body that is a complete notification in canonical form', () => {
    const [example, ...more] = docJsonBlocks<Record<string, string | number>>('n3.md', 'json');
    expect(more).toEqual([]);
    expect(Object.keys(example!).sort()).toEqual([...N3_FIELDS].sort());
    expect(doc).toContain(`\n${canonicalJson(example!)}\n`);
  });
});
