import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { demoSigningKey, publicKeyPem, signManifest } from '../../../firmware-images/demo-key.js';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { FlashdError } from '../../../src/domain/errors.js';
import { ImageCatalog } from '../../../src/images/catalog.js';
import { MAX_IMAGE_BYTES } from '../../../src/images/catalog-image.js';
import type { Manifest } from '../../../src/images/manifest.js';
import { encodeOtaHeader } from '../../../src/images/ota-header.js';

const IMAGES_DIR = fileURLToPath(new URL('../../../firmware-images/', import.meta.url));
const DEMO_KEY_FILE = join(IMAGES_DIR, 'keys', 'demo-signing.pub.pem');
const FIRST_FILE = '1086-0101030B-0002012F.ota';

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of the committed catalogue in a temp dir, for tests that break one thing in it. */
async function copyCatalog(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flashd-catalog-'));
  tempDirs.push(dir);
  for (const name of await readdir(IMAGES_DIR)) {
    if (name.endsWith('.ota') || name.startsWith('manifest.json')) await copyFile(join(IMAGES_DIR, name), join(dir, name));
  }
  return dir;
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** Writes a manifest and signs it, so only the check under test can refuse it. */
async function writeSignedManifest(dir: string, manifest: unknown, key: KeyObject = demoSigningKey()): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, 'manifest.json'), bytes);
  await writeFile(join(dir, 'manifest.json.sig'), signManifest(bytes, key));
}

async function loadError(dir: string, trustedKeyFiles = [DEMO_KEY_FILE]): Promise<FlashdError> {
  try {
    await ImageCatalog.load({ dir, trustedKeyFiles });
  } catch (err) {
    expect(err).toBeInstanceOf(FlashdError);
    return err as FlashdError;
  }
  throw new Error('expected the catalogue to be refused');
}

describe('ImageCatalog.load with the committed images', () => {
  it('loads one verified image per Device Model', async () => {
    const catalog = await ImageCatalog.load({ dir: IMAGES_DIR, trustedKeyFiles: [DEMO_KEY_FILE] });
    const images = catalog.list();
    expect(images.map((image) => image.model)).toEqual(DEVICE_MODELS.map((model) => model.model));
    for (const definition of DEVICE_MODELS) {
      const image = catalog.latestFor(definition.manufacturer, definition.model);
      if (!image) throw new Error(`no image for ${definition.model}`);
      const bytes = await readFile(join(IMAGES_DIR, image.fileName));
      expect(image).toMatchObject({
        manufacturer: definition.manufacturer,
        version: definition.latestVersion,
        hanVariant: definition.hanVariant,
        hardwareMin: definition.hardwareMin,
        hardwareMax: definition.hardwareMax,
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      expect(image.header).toMatchObject({ fileVersion: Number.parseInt(definition.latestVersion, 16), headerLength: 60, fieldControl: 0x0004 });
      expect(image.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(image.data).equals(bytes)).toBe(true);
      expect(Object.isFrozen(image)).toBe(true);
      expect(Object.isFrozen(image.header)).toBe(true);
    }
    expect(Object.isFrozen(images)).toBe(true);
  });

  it('finds images case-insensitively and knows no other model', async () => {
    const catalog = await ImageCatalog.load({ dir: IMAGES_DIR, trustedKeyFiles: [DEMO_KEY_FILE] });
    expect(catalog.latestFor('106c', '0301050c')?.version).toBe('0004000A');
    expect(catalog.latestFor('1086', '0201040A')).toBeUndefined();
    expect(catalog.latestFor('1178', '0301050C')).toBeUndefined();
  });
});

describe('ImageCatalog.load refusals', () => {
  it('refuses a manifest signed by another key, naming the manifest and the keys tried', async () => {
    const dir = await copyCatalog();
    const other = generateKeyPairSync('ed25519');
    const manifest = await readFile(join(dir, 'manifest.json'));
    await writeFile(join(dir, 'manifest.json.sig'), signManifest(manifest, other.privateKey));
    const err = await loadError(dir);
    expect(err.code).toBe('MANIFEST_SIGNATURE_INVALID');
    expect(err.message).toContain(join(dir, 'manifest.json'));
    expect(err.message).toContain(DEMO_KEY_FILE);

    // Trusting the other key as well (key rotation) is enough.
    const otherKeyFile = join(dir, 'other.pub.pem');
    await writeFile(otherKeyFile, publicKeyPem(other.privateKey));
    await expect(ImageCatalog.load({ dir, trustedKeyFiles: [DEMO_KEY_FILE, otherKeyFile] })).resolves.toBeInstanceOf(ImageCatalog);
  });

  it('refuses a manifest edited after signing', async () => {
    const dir = await copyCatalog();
    const text = await readFile(join(dir, 'manifest.json'), 'utf8');
    await writeFile(join(dir, 'manifest.json'), text.replace('"hardwareMax": 4', '"hardwareMax": 5'));
    const err = await loadError(dir);
    expect(err.code).toBe('MANIFEST_SIGNATURE_INVALID');
    expect(err.message).toContain('manifest.json');
  });

  it('refuses a missing signature and a trusted key that is not Ed25519', async () => {
    const dir = await copyCatalog();
    const rsaKeyFile = join(dir, 'rsa.pub.pem');
    await writeFile(rsaKeyFile, publicKeyPem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey));
    expect(await loadError(dir, [rsaKeyFile])).toMatchObject({ code: 'TRUSTED_KEY_INVALID', message: expect.stringContaining(rsaKeyFile) as unknown });
    await unlink(join(dir, 'manifest.json.sig'));
    expect(await loadError(dir)).toMatchObject({ code: 'MANIFEST_SIGNATURE_INVALID', message: expect.stringContaining('manifest.json.sig') as unknown });
  });

  it('refuses an image with a flipped byte, showing both hashes', async () => {
    const dir = await copyCatalog();
    const bytes = await readFile(join(dir, FIRST_FILE));
    const expected = createHash('sha256').update(bytes).digest('hex');
    bytes[1000] = (bytes[1000] ?? 0) ^ 0x01;
    await writeFile(join(dir, FIRST_FILE), bytes);
    const err = await loadError(dir);
    expect(err.code).toBe('IMAGE_HASH_MISMATCH');
    expect(err.message).toContain(FIRST_FILE);
    expect(err.message).toContain(expected);
    expect(err.message).toContain(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a truncated image', async () => {
    const dir = await copyCatalog();
    const bytes = await readFile(join(dir, FIRST_FILE));
    await writeFile(join(dir, FIRST_FILE), bytes.subarray(0, bytes.length - 1));
    const err = await loadError(dir);
    expect(err).toMatchObject({ code: 'IMAGE_SIZE_MISMATCH', details: { file: FIRST_FILE, expected: bytes.length, actual: bytes.length - 1 } });
    expect(err.message).toContain(FIRST_FILE);
  });

  it('refuses a missing image', async () => {
    const dir = await copyCatalog();
    await unlink(join(dir, '106C-0302050C-0004000A.ota'));
    const err = await loadError(dir);
    expect(err.code).toBe('IMAGE_MISSING');
    expect(err.message).toContain('106C-0302050C-0004000A.ota');
  });

  it.each([
    ['fileVersion', { version: '00020130' }],
    ['manufacturerCode', { manufacturer: '1087' }],
    ['imageType', { model: '0109030B' }],
    ['hardwareMin', { hardwareMin: 2 }],
    ['hardwareMax', { hardwareMax: 5 }],
  ])('refuses an image whose OTA header %s disagrees with a validly signed manifest', async (field, change) => {
    const dir = await copyCatalog();
    const manifest = await readManifest(dir);
    manifest.images[0] = { ...manifest.images[0], ...change } as Manifest['images'][number];
    await writeSignedManifest(dir, manifest);
    const err = await loadError(dir);
    expect(err).toMatchObject({ code: 'OTA_HEADER_MISMATCH', details: { file: FIRST_FILE, field } });
    expect(err.message).toContain(FIRST_FILE);
    expect(err.message).toContain(field);
  });

  /** Replaces the first image with `bytes` and signs a manifest that lists them exactly. */
  async function replaceFirstImage(dir: string, bytes: Buffer, entryChange: object = {}): Promise<void> {
    await writeFile(join(dir, FIRST_FILE), bytes);
    const manifest = await readManifest(dir);
    Object.assign(manifest.images[0]!, { sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }, entryChange);
    await writeSignedManifest(dir, manifest);
  }

  it('refuses a signed image with a valid header but no upgrade image sub-element', async () => {
    const dir = await copyCatalog();
    const signature = Buffer.concat([Buffer.from([0x01, 0x00, 42, 0, 0, 0]), Buffer.alloc(42, 0x5a)]);
    const header = encodeOtaHeader({
      headerVersion: 0x0100,
      manufacturerCode: 0x1086,
      imageType: 0x0101,
      fileVersion: 0x0002012f,
      zigbeeStackVersion: 2,
      headerString: 'no image',
      totalImageSize: 60 + signature.length,
      hardwareMin: 1,
      hardwareMax: 4,
    });
    await replaceFirstImage(dir, Buffer.concat([header, signature]));
    const err = await loadError(dir);
    expect(err).toMatchObject({ code: 'OTA_HEADER_INVALID', details: { file: FIRST_FILE, tag: 0 } });
    expect(err.message).toBe(`image ${FIRST_FILE}: an OTA file needs exactly one upgrade image sub-element (tag 0x0000), found none (at offset 60)`);
  });

  it('refuses an image over 16 MiB before reading it, whether the manifest or the file says so', async () => {
    const dir = await copyCatalog();
    const manifest = await readManifest(dir);
    manifest.images[0]!.sizeBytes = 100 * 1024 * 1024;
    await writeSignedManifest(dir, manifest);
    expect(await loadError(dir)).toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: `image ${FIRST_FILE}: the manifest says 104857600 bytes, over the 16777216-byte (16 MiB) limit`,
      details: { file: FIRST_FILE, sizeBytes: 104_857_600, limitBytes: MAX_IMAGE_BYTES },
    });
    // A 100 MB file with a valid header, signed by a manifest that gives its size honestly.
    const big = await copyCatalog();
    await copyFile(join(IMAGES_DIR, FIRST_FILE), join(big, FIRST_FILE));
    await truncate(join(big, FIRST_FILE), 100 * 1024 * 1024);
    const bigManifest = await readManifest(big);
    bigManifest.images[0]!.sizeBytes = MAX_IMAGE_BYTES;
    await writeSignedManifest(big, bigManifest);
    expect(await loadError(big)).toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { file: FIRST_FILE, sizeBytes: 104_857_600 } });
  });

  it('refuses an image whose OTA header is malformed even when its hash is signed', async () => {
    const dir = await copyCatalog();
    const bytes = await readFile(join(dir, FIRST_FILE));
    bytes.writeUInt32LE(0x0beef11f, 0);
    await writeFile(join(dir, FIRST_FILE), bytes);
    const manifest = await readManifest(dir);
    const entry = manifest.images[0];
    if (!entry) throw new Error('empty manifest');
    entry.sha256 = createHash('sha256').update(bytes).digest('hex');
    await writeSignedManifest(dir, manifest);
    const err = await loadError(dir);
    expect(err.code).toBe('OTA_HEADER_INVALID');
    expect(err.message).toMatch(new RegExp(`^image ${FIRST_FILE}: magic is 0x0BEEF11F`));
  });

  it('refuses an invalid manifest with every problem reported by path', async () => {
    const dir = await copyCatalog();
    const manifest = await readManifest(dir);
    Object.assign(manifest.images[2] ?? {}, { version: '0x12', hanVariant: 'Triple Band' });
    Object.assign(manifest.images[4] ?? {}, { file: '../escape.ota', sha256: 'xyz' });
    await writeSignedManifest(dir, manifest);
    const err = await loadError(dir);
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.message).toContain('manifest.json');
    expect(err.details?.problems).toEqual([
      'images[2].version: "0x12" is not 8 upper-case hex digits',
      'images[2].hanVariant: "Triple Band" is not one of Single Band, Dual Band',
      'images[4].sha256: "xyz" is not 64 lower-case hex digits',
      'images[4].file: "../escape.ota" is not a bare file name',
    ]);
  });
});
