import { describe, expect, it } from 'vitest';
import { FlashdError } from '../../../src/domain/errors.js';
import { parseManifest, validateManifest } from '../../../src/images/manifest.js';
import { thrownBy } from '../../helpers/thrown-by.js';

function image(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    manufacturer: '1086',
    model: '0101030B',
    hanVariant: 'Single Band',
    version: '0002012F',
    file: '1086-0101030B-0002012F.ota',
    sizeBytes: 123,
    sha256: 'ab'.repeat(32),
    hardwareMin: 1,
    hardwareMax: 4,
    ...overrides,
  };
}

function manifest(images: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemaVersion: 1, issuedAt: '2026-11-01T00:00:00Z', images, ...overrides };
}

function problemsOf(value: unknown): string[] {
  try {
    validateManifest(value, 'dir/manifest.json');
  } catch (err) {
    expect(err).toBeInstanceOf(FlashdError);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', details: { file: 'dir/manifest.json' } });
    expect((err as Error).message).toContain('dir/manifest.json');
    return (err as FlashdError).details?.problems as string[];
  }
  throw new Error('expected MANIFEST_INVALID');
}

describe('validateManifest', () => {
  it('accepts a valid manifest, with or without hardware bounds and SMETS/CHTS version', () => {
    const value = manifest([
      image(),
      image({ model: '0102030B', file: 'b.ota', hanVariant: 'Dual Band', smetsChtsVersion: 'V1.3', hardwareMin: undefined, hardwareMax: undefined }),
    ]);
    expect(validateManifest(value, 'm')).toBe(value);
  });

  it('reports every problem with its JSON path in one error', () => {
    const problems = problemsOf(
      manifest(
        [
          image(),
          image({ model: '0102030b', file: 'sub/x.ota', hanVariant: 'Tri Band', smetsChtsVersion: '' }),
          image({ model: '0201040A', file: 'c.ota', version: '0x12', sizeBytes: 0, sha256: 'AB'.repeat(32), extra: true }),
          image({ file: 'd.ota', manufacturer: '10860', hardwareMin: 5, hardwareMax: 4 }),
          image({ model: '0301050C', file: '1086-0101030B-0002012F.ota', hardwareMax: undefined, sizeBytes: 1.5 }),
          'not an image',
        ],
        { schemaVersion: 2, issuedAt: 'yesterday', signedBy: 'me' },
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'signedBy: unknown field',
        'schemaVersion: 2 is not 1',
        'issuedAt: "yesterday" is not a UTC timestamp like 2026-11-01T00:00:00Z',
        'images[1].model: "0102030b" is not 8 upper-case hex digits',
        'images[1].hanVariant: "Tri Band" is not one of Single Band, Dual Band',
        'images[1].smetsChtsVersion: "" is not a SMETS/CHTS version like V1.3',
        'images[1].file: "sub/x.ota" is not a bare file name',
        'images[2].extra: unknown field',
        'images[2].version: "0x12" is not 8 upper-case hex digits',
        `images[2].sha256: "${'AB'.repeat(32)}" is not 64 lower-case hex digits`,
        'images[2].sizeBytes: 0 is not a positive integer',
        'images[3].manufacturer: "10860" is not 4 upper-case hex digits',
        'images[3]: hardwareMin 5 is greater than hardwareMax 4',
        'images[4]: hardwareMin and hardwareMax must be given together',
        'images[4].sizeBytes: 1.5 is not a positive integer',
        'images[4].file: "1086-0101030B-0002012F.ota" is already listed at images[0]',
        'images[5]: "not an image" is not an object',
      ]),
    );
    expect(problems).toHaveLength(17);
  });

  it('refuses two images for the same manufacturer and model', () => {
    expect(problemsOf(manifest([image(), image({ file: 'other.ota', version: '00020130' })]))).toEqual([
      'images[1]: manufacturer 1086 model 0101030B is already listed at images[0]',
    ]);
  });

  it.each([
    ['..', '".." is not a bare file name'],
    ['a\\b.ota', '"a\\\\b.ota" is not a bare file name'],
    ['', '"" is not a bare file name'],
  ])('refuses the file name %j', (file, problem) => {
    expect(problemsOf(manifest([image({ file })]))).toEqual([`images[0].file: ${problem}`]);
  });

  it('refuses a manifest that is not an object, or lists no images', () => {
    expect(problemsOf([])).toEqual(['(root): [] is not an object']);
    expect(problemsOf(manifest([]))).toEqual(['images: is empty; a bench with no images could only refuse hubs']);
    expect(problemsOf(manifest({} as unknown[]))).toEqual(['images: {} is not an array']);
  });
});

describe('parseManifest', () => {
  it('parses UTF-8 JSON bytes', () => {
    const value = manifest([image()]);
    expect(parseManifest(Buffer.from(JSON.stringify(value)), 'm')).toEqual(value);
  });

  it('refuses bytes that are not JSON, naming the file', () => {
    const err = thrownBy(() => parseManifest(Buffer.from('{"schemaVersion": 1,'), 'dir/manifest.json'));
    expect(err).toBeInstanceOf(FlashdError);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringContaining('dir/manifest.json is not UTF-8 JSON') as unknown });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(thrownBy(() => parseManifest(Buffer.from([0x7b, 0xff, 0x7d]), 'm'))).toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringContaining('m is not UTF-8 JSON') as unknown,
    });
  });
});
