import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from '../../../src/domain/csv.js';
import { readWorkOrderLines } from '../../../src/domain/work-order-lines.js';

const known = (model: string) => ['0101030B', '0201040A'].includes(model);
const ID = (n: number) => `00-DB-12-00-00-00-00-${n.toString(16).toUpperCase().padStart(2, '0')}`;
const codes = (text: string) => readWorkOrderLines({ csv: text }, known).problems.map((p) => [p.line, p.code]);

describe('CSV', () => {
  it('round-trips any table through formatCsv and parseCsv, quotes, commas and newlines included', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ',', '"', '\n', '\r\n', ' ', '-', 'é') });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.array(fc.array(cell, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 8 })),
        (table) => {
          const [head, ...rows] = table;
          const parsed = parseCsv(formatCsv(head!, rows));
          expect(parsed.problems).toEqual([]);
          expect(parsed.records.map((r) => r.fields)).toEqual([head, ...rows]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reports a malformed line with its number and goes on; skips blank lines; accepts a BOM and CRLF', () => {
    const { records, problems } = parseCsv('\uFEFFa,b\r\n\r\n1,"x""y"\r\n2,ab"c\n"never closed,\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', 'x"y'] },
    ]);
    expect(problems).toEqual([
      { line: 4, code: 'CSV_MALFORMED', message: 'line 4: a double quote inside an unquoted field' },
      { line: 5, code: 'CSV_MALFORMED', message: 'line 5: a quoted field is never closed' },
    ]);
  });
});

describe('work order lines', () => {
  it('reads the documented format: any column order, defaults for SMI status and SMETS version', () => {
    const { lines, problems } = readWorkOrderLines(
      { csv: `firmwareVersion,Device ID,model,smiStatus\n0002012a,${ID(1).toLowerCase()},0101030b,pending\n,${ID(2)},,\n` },
      known,
    );
    expect(problems).toEqual([]);
    expect(lines).toEqual([
      { line: 2, deviceId: ID(1), model: '0101030B', firmwareVersion: '0002012A', smiStatus: 'Pending', smetsVersion: 'SMETS2' },
      { line: 3, deviceId: ID(2), model: null, firmwareVersion: null, smiStatus: 'Pending', smetsVersion: 'SMETS2' },
    ]);
  });

  it('reports every bad line with its number and reason, and keeps none of a bad file', () => {
    const csv = [
      'deviceId,model,firmwareVersion,smiStatus,smetsVersion',
      `${ID(1)},0101030B,0002012A,Pending,SMETS2`,
      '00-DB-12,0101030B,,,',
      `${ID(3)},FFFFFFFF,,,`,
      `${ID(1)},0101030B,,,`,
      `${ID(5)},0101030B`,
      `${ID(6)},,2A,Installed,SMETS3`,
    ].join('\n');
    expect(codes(csv)).toEqual([
      [3, 'DEVICE_ID_INVALID'],
      [4, 'MODEL_UNKNOWN'],
      [5, 'WORK_ORDER_DUPLICATE_HUB'],
      [6, 'CSV_COLUMN_COUNT'],
      [7, 'FIRMWARE_VERSION_INVALID'],
      [7, 'SMI_STATUS_INVALID'],
      [7, 'SMETS_VERSION_INVALID'],
    ]);
    expect(readWorkOrderLines({ csv }, known).problems[2]!.message).toBe(`line 5: ${ID(1)} is already listed on line 2`);
  });

  it('refuses a missing or unknown header column, an empty file and a header without hubs', () => {
    expect(codes(`model\n0101030B\n`)).toEqual([[1, 'CSV_HEADER_INVALID']]);
    expect(codes(`deviceId,colour\n${ID(1)},red\n`)).toEqual([[1, 'CSV_HEADER_INVALID']]);
    expect(codes(`deviceId,deviceid\n`)).toEqual([[1, 'CSV_HEADER_INVALID']]);
    expect(codes('')).toEqual([[1, 'CSV_HEADER_INVALID']]);
    expect(codes('deviceId\n\n')).toEqual([[1, 'WORK_ORDER_EMPTY']]);
    expect(readWorkOrderLines({ hubs: [] }, known).problems.map((p) => p.code)).toEqual(['WORK_ORDER_EMPTY']);
  });

  it('numbers JSON hubs by their position', () => {
    const { problems } = readWorkOrderLines({ hubs: [{ deviceId: ID(1) }, { deviceId: 'nope' }] }, known);
    expect(problems).toMatchObject([{ line: 2, code: 'DEVICE_ID_INVALID', deviceId: 'nope' }]);
  });
});
