import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TObject } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { AttemptSchema } from '../../../src/records/attempt.js';
import { HubSchema } from '../../../src/records/hub.js';
import { SlotSchema } from '../../../src/records/slot.js';
import { WorkOrderSchema } from '../../../src/records/work-order.js';
import { WorkOrderHubSchema } from '../../../src/records/work-order-hub.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs/api.md'), 'utf8');

/** Field names in the first column of the table after `<!-- record: name ... -->`. */
function documentedFields(markdown: string, record: string): string[] {
  const marker = markdown.indexOf(`<!-- record: ${record} `);
  if (marker < 0) throw new Error(`docs/api.md has no table marked "record: ${record}"`);
  const lines = markdown.slice(marker).split('\n').slice(1);
  const table = lines.slice(
    0,
    lines.findIndex((line) => !line.startsWith('|')),
  );
  return table.slice(2).flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
}

const RECORDS: Record<string, TObject> = {
  slot: SlotSchema,
  hub: HubSchema,
  attempt: AttemptSchema,
  'work-order': WorkOrderSchema,
  'work-order-hub': WorkOrderHubSchema,
};

describe('docs/api.md field tables', () => {
  it.each(Object.entries(RECORDS))('documents every field of the %s record, and nothing else', (record, schema) => {
    const documented = documentedFields(doc, record);
    expect(documented.length, 'a field documented twice').toBe(new Set(documented).size);
    expect([...documented].sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it('notices a field added to a schema but not to the docs, and one documented but gone', () => {
    const table = '<!-- record: x -->\n| field | meaning |\n|---|---|\n| `a`, `b` | two |\n| `c` | one |\n\nprose `d`';
    expect(documentedFields(table, 'x')).toEqual(['a', 'b', 'c']);
    expect(() => documentedFields(table, 'y')).toThrow(/record: y/);
  });
});
