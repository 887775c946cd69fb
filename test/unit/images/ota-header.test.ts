import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashdError } from '../../../src/domain/errors.js';
import { deviceIdFromBytes } from '../../../src/domain/identifiers.js';
import { encodeOtaHeader, otaHeaderLengthFor, parseOtaHeader, type OtaHeaderFields } from '../../../src/images/ota-header.js';
import { parseOtaSubElements, upgradeImageOf } from '../../../src/images/ota-sub-elements.js';
import { thrownBy } from '../../helpers/thrown-by.js';

const SAMPLES_DIR = fileURLToPath(new URL('../../fixtures/ota-samples/', import.meta.url));

/** Values from test/fixtures/ota-samples/README.md; the Hue row was read off a hex dump of the file. */
const SAMPLES = [
  { file: 'ota_t0x300e_m0x1209_v0x02096a90.ota', size: 269014, manufacturerCode: 0x1209, imageType: 0x300e, fileVersion: 0x02096a90, headerString: 'RTH2_BAT' },
  {
    file: 'ota_t0x110f_m0x117c_v0x01000011.ota',
    size: 283326,
    manufacturerCode: 0x117c,
    imageType: 0x110f,
    fileVersion: 0x01000011,
    headerString: 'GBL zingo_ikea_vindstyrka',
  },
  {
    file: 'han_adapter-2.0_MG13_reworked.ota',
    size: 235962,
    manufacturerCode: 0x1337,
    imageType: 0x2022,
    fileVersion: 0x20006a30,
    headerString: 'EBL han_adapter',
  },
  {
    file: '1246-0100-01320132.0002__56CF25B2_.ota',
    size: 393561,
    manufacturerCode: 0x1246,
    imageType: 0x0100,
    fileVersion: 0x00000120,
    headerString: 'Tue 06/03/2025 V.0120.0120',
  },
  {
    file: 'HS1SA-E-PLUS-120BA080-20260311-Release.ota',
    size: 214938,
    manufacturerCode: 0x120b,
    imageType: 0xa080,
    fileVersion: 0x00000022,
    headerString: 'EBL HS1SA_EF2_UART_0787_dianshan',
  },
  // Bytes 10..19 of the file: 44 11 | 00 00 | 08 0C 00 00 | 02 00; total size at 52: 92 8C 03 00.
  {
    file: 'Superman_v3_08_ProdKey_3080.ota',
    size: 232594,
    manufacturerCode: 0x1144,
    imageType: 0x0000,
    fileVersion: 0x00000c08,
    headerString: 'EBL Z3SwitchSoc',
  },
];

function validHeader(overrides: Partial<OtaHeaderFields> = {}): Buffer {
  return encodeOtaHeader({
    headerVersion: 0x0100,
    manufacturerCode: 0x1086,
    imageType: 0x0101,
    fileVersion: 0x0002012f,
    zigbeeStackVersion: 2,
    headerString: 'test',
    totalImageSize: 1000,
    hardwareMin: 1,
    hardwareMax: 4,
    ...overrides,
  });
}

function expectInvalid(buf: Uint8Array, messagePart: RegExp): void {
  const thrown = thrownBy(() => parseOtaHeader(buf));
  expect(thrown).toBeInstanceOf(FlashdError);
  expect(thrown).toMatchObject({ code: 'OTA_HEADER_INVALID', message: expect.stringMatching(messagePart) as unknown });
}

describe('parseOtaHeader on real OTA files', () => {
  it.each(SAMPLES)('parses $file', async (sample) => {
    const buf = await readFile(SAMPLES_DIR + sample.file);
    expect(buf.length).toBe(sample.size);
    const header = parseOtaHeader(buf);
    expect(buf.readUInt32LE(0)).toBe(0x0beef11e);
    expect(header).toMatchObject({
      headerVersion: 0x0100,
      headerLength: 56,
      fieldControl: 0,
      manufacturerCode: sample.manufacturerCode,
      imageType: sample.imageType,
      fileVersion: sample.fileVersion,
      zigbeeStackVersion: 2,
      headerString: sample.headerString,
      totalImageSize: buf.length,
    });
    expect(header.hardwareMin).toBeUndefined();
    expect(header.hardwareMax).toBeUndefined();

    const elements = parseOtaSubElements(buf, header);
    expect(elements[0]).toMatchObject({ tag: 0x0000, offset: 56 + 6 });
    expect(upgradeImageOf(elements, header)).toBe(elements[0]);
    const last = elements.at(-1);
    expect(last && last.offset + last.length).toBe(buf.length);
  });

  it('walks the Danfoss file past the image into its manufacturer-specific elements', async () => {
    const buf = await readFile(SAMPLES_DIR + '1246-0100-01320132.0002__56CF25B2_.ota');
    expect(parseOtaSubElements(buf, parseOtaHeader(buf))).toEqual([
      { tag: 0x0000, offset: 62, length: 235872 },
      { tag: 0xf001, offset: 235940, length: 157551 },
      { tag: 0xf002, offset: 393497, length: 64 },
    ]);
  });

  it('refuses a real file cut short in its image sub-element', async () => {
    const buf = await readFile(SAMPLES_DIR + 'Superman_v3_08_ProdKey_3080.ota');
    const header = parseOtaHeader(buf);
    expect(() => parseOtaSubElements(buf.subarray(0, buf.length - 1), header)).toThrow(/only 232593 bytes/);
  });
});

describe('parseOtaHeader refusals', () => {
  it('refuses a buffer shorter than the fixed header', () => {
    expectInvalid(validHeader().subarray(0, 55), /at least 56 bytes, got 55 \(at offset 55\)/);
  });

  it('refuses a buffer that ends inside the optional fields', () => {
    expectInvalid(validHeader().subarray(0, 58), /header length is 60 but only 58 bytes/);
  });

  it('refuses a wrong magic and says what it found', () => {
    const buf = validHeader();
    buf.writeUInt32LE(0x0beef11f, 0);
    expectInvalid(buf, /magic is 0x0BEEF11F, expected 0x0BEEF11E \(at offset 0\)/);
  });

  it('refuses a big-endian magic', () => {
    const buf = validHeader();
    buf.writeUInt32BE(0x0beef11e, 0);
    expectInvalid(buf, /magic is 0x1EF1EE0B/);
  });

  it('refuses a header length that disagrees with the field control', () => {
    const buf = validHeader();
    buf.writeUInt16LE(56, 6);
    expectInvalid(buf, /header length is 56 but field control 0x0004 implies 60 \(at offset 6\)/);
  });

  it('refuses field-control bits it cannot size', () => {
    const buf = validHeader();
    buf.writeUInt16LE(0x0008 | 0x0004, 8);
    expectInvalid(buf, /field control 0x000C sets bits/);
  });

  it('refuses a total image size smaller than the header', () => {
    const buf = validHeader();
    buf.writeUInt32LE(59, 52);
    expectInvalid(buf, /total image size 59 is smaller than the header length 60 \(at offset 52\)/);
  });

  it('refuses a sub-element that runs past the end', () => {
    const header = validHeader({ totalImageSize: 60 + 6 + 10 });
    const element = Buffer.from([0, 0, 11, 0, 0, 0, ...new Array<number>(10).fill(0xaa)]);
    const buf = Buffer.concat([header, element]);
    expect(() => parseOtaSubElements(buf, parseOtaHeader(buf))).toThrow(/tag 0x0000 of 11 bytes runs past the end at 76 \(at offset 60\)/);
  });

  it('says "1 byte left", not "1 bytes left", for a sub-element header cut off one byte in', () => {
    const buf = Buffer.concat([validHeader({ totalImageSize: 60 + 1 }), Buffer.alloc(1)]);
    expect(thrownBy(() => parseOtaSubElements(buf, parseOtaHeader(buf)))).toMatchObject({
      code: 'OTA_HEADER_INVALID',
      message: 'sub-element header cut off: 1 byte left before the end at 61 (at offset 60)',
    });
  });

  it('requires exactly one non-empty upgrade image sub-element (tag 0x0000)', () => {
    const element = (tag: number, length: number) => Buffer.concat([Buffer.from([tag & 0xff, tag >> 8, length & 0xff, 0, 0, 0]), Buffer.alloc(length, 0xaa)]);
    const file = (...elements: Buffer[]) => {
      const body = Buffer.concat(elements);
      const buf = Buffer.concat([validHeader({ totalImageSize: 60 + body.length }), body]);
      const header = parseOtaHeader(buf);
      return () => upgradeImageOf(parseOtaSubElements(buf, header), header);
    };
    expect(thrownBy(file(element(0x0001, 42)))).toMatchObject({
      code: 'OTA_HEADER_INVALID',
      message: 'an OTA file needs exactly one upgrade image sub-element (tag 0x0000), found none (at offset 60)',
    });
    expect(thrownBy(file())).toMatchObject({ code: 'OTA_HEADER_INVALID', message: expect.stringContaining('found none (at offset 60)') as unknown });
    expect(thrownBy(file(element(0, 4), element(0, 4)))).toMatchObject({
      code: 'OTA_HEADER_INVALID',
      message: expect.stringContaining('found 2 (at offset 70)') as unknown,
    });
    expect(thrownBy(file(element(0, 0), element(1, 4)))).toMatchObject({
      code: 'OTA_HEADER_INVALID',
      message: 'the upgrade image sub-element (tag 0x0000) is empty (at offset 60)',
    });
    expect(file(element(0, 4), element(1, 4))()).toEqual({ tag: 0, offset: 66, length: 4 });
  });

  it('refuses a sub-element header cut off at the end', () => {
    const header = validHeader({ totalImageSize: 60 + 4 });
    const buf = Buffer.concat([header, Buffer.alloc(4)]);
    expect(thrownBy(() => parseOtaSubElements(buf, parseOtaHeader(buf)))).toMatchObject({
      code: 'OTA_HEADER_INVALID',
      message: expect.stringContaining('cut off: 4 bytes left') as unknown,
    });
  });
});

describe('OTA header codec properties', () => {
  const bytes8 = fc.uint8Array({ minLength: 8, maxLength: 8 });
  const headerFields = fc
    .record(
      {
        headerVersion: fc.integer({ min: 0, max: 0xffff }),
        manufacturerCode: fc.integer({ min: 0, max: 0xffff }),
        imageType: fc.integer({ min: 0, max: 0xffff }),
        fileVersion: fc.integer({ min: 0, max: 0xffff_ffff }),
        zigbeeStackVersion: fc.integer({ min: 0, max: 0xffff }),
        headerString: fc.array(fc.integer({ min: 1, max: 0x7f }), { maxLength: 32 }).map((codes) => String.fromCharCode(...codes)),
        totalImageSize: fc.integer({ min: 69, max: 0xffff_ffff }),
        securityCredentialVersion: fc.option(fc.integer({ min: 0, max: 0xff }), { nil: undefined }),
        upgradeFileDestination: fc.option(
          bytes8.map((b) => deviceIdFromBytes(b)),
          { nil: undefined },
        ),
        hardware: fc.option(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })), { nil: undefined }),
      },
      { requiredKeys: ['headerVersion', 'manufacturerCode', 'imageType', 'fileVersion', 'zigbeeStackVersion', 'headerString', 'totalImageSize'] },
    )
    .map(({ hardware, ...rest }): OtaHeaderFields => {
      const fields: OtaHeaderFields = { ...rest };
      for (const key of ['securityCredentialVersion', 'upgradeFileDestination'] as const) if (fields[key] === undefined) delete fields[key];
      return hardware ? { ...fields, hardwareMin: hardware[0], hardwareMax: hardware[1] } : fields;
    });

  it('round-trips arbitrary valid headers through encode and parse', () => {
    fc.assert(
      fc.property(headerFields, (fields) => {
        const buf = encodeOtaHeader(fields);
        const header = parseOtaHeader(buf);
        expect(buf.length).toBe(otaHeaderLengthFor(header.fieldControl));
        expect(header).toStrictEqual({ ...fields, headerLength: buf.length, fieldControl: header.fieldControl });
        expect(header.fieldControl).toBe(
          (fields.securityCredentialVersion !== undefined ? 1 : 0) |
            (fields.upgradeFileDestination !== undefined ? 2 : 0) |
            (fields.hardwareMin !== undefined ? 4 : 0),
        );
      }),
    );
  });

  it('never throws anything but OTA_HEADER_INVALID on arbitrary bytes', () => {
    const magic = Buffer.from([0x1e, 0xf1, 0xee, 0x0b]);
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.uint8Array({ maxLength: 100 }).map((rest) => Buffer.concat([magic, rest])),
      fc.tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 0, maxLength: 80 })).map(([fieldControl, rest]) => {
        const head = Buffer.alloc(10);
        magic.copy(head);
        head.writeUInt16LE(otaHeaderLengthFor(fieldControl) ?? 56, 6);
        head.writeUInt16LE(fieldControl, 8);
        return Buffer.concat([head, rest]);
      }),
    );
    fc.assert(
      fc.property(input, (buf) => {
        try {
          const header = parseOtaHeader(buf);
          expect(header.totalImageSize).toBeGreaterThanOrEqual(header.headerLength);
          parseOtaSubElements(buf, header);
        } catch (err) {
          expect(err).toBeInstanceOf(FlashdError);
          expect((err as FlashdError).code).toBe('OTA_HEADER_INVALID');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
