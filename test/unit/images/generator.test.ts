import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateImages, type GeneratedImage } from '../../../firmware-images/generate.js';
import { parseOtaHeader } from '../../../src/images/ota-header.js';
import { parseOtaSubElements } from '../../../src/images/ota-sub-elements.js';

const IMAGES_DIR = fileURLToPath(new URL('../../../firmware-images/', import.meta.url));
const GENERATED = ['manifest.json', 'manifest.json.sig', join('keys', 'demo-signing.pub.pem')];

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function generateInTemp(): Promise<{ dir: string; images: GeneratedImage[]; files: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'flashd-images-'));
  tempDirs.push(dir);
  const images = await generateImages(dir);
  return { dir, images, files: [...images.map((image) => image.fileName), ...GENERATED] };
}

describe('firmware-images/generate.ts', () => {
  it('is reproducible and matches the committed files byte for byte', async () => {
    const first = await generateInTemp();
    const second = await generateInTemp();
    expect(second.files).toEqual(first.files);
    expect((await readdir(first.dir)).filter((name) => name.endsWith('.ota')).sort()).toEqual(
      (await readdir(IMAGES_DIR)).filter((name) => name.endsWith('.ota')).sort(),
    );
    for (const file of first.files) {
      const bytes = await readFile(join(first.dir, file));
      expect(bytes.equals(await readFile(join(second.dir, file))), `${file} differs between runs`).toBe(true);
      expect(bytes.equals(await readFile(join(IMAGES_DIR, file))), `${file} differs from the committed copy: run npm run images`).toBe(true);
    }
  });

  it('writes images of 192..320 KiB in the OTA layout with a 42-byte signature element', async () => {
    const { dir, images } = await generateInTemp();
    expect(images).toHaveLength(6);
    for (const image of images) {
      const bytes = await readFile(join(dir, image.fileName));
      expect(bytes.length).toBeGreaterThanOrEqual(192 * 1024);
      expect(bytes.length).toBeLessThanOrEqual(320 * 1024);
      const header = parseOtaHeader(bytes);
      const { manufacturer, model } = image.definition;
      expect(header).toMatchObject({
        headerLength: 60,
        fieldControl: 0x0004,
        totalImageSize: bytes.length,
        headerString: `flashd synthetic ${manufacturer} ${model}`,
      });
      const elements = parseOtaSubElements(bytes, header);
      expect(elements.map((element) => element.tag)).toEqual([0x0000, 0x0001]);
      expect(elements[1]).toEqual({ tag: 0x0001, offset: bytes.length - 42, length: 42 });
    }
  });

  it('makes Toshiba images incompressible and the others compress like code', async () => {
    const { images } = await generateInTemp();
    for (const image of images) {
      if (image.definition.manufacturerName === 'Toshiba') expect(image.deflateRatio, image.fileName).toBeGreaterThanOrEqual(0.999);
      else {
        expect(image.deflateRatio, image.fileName).toBeGreaterThanOrEqual(0.65);
        expect(image.deflateRatio, image.fileName).toBeLessThanOrEqual(0.8);
      }
    }
  });
});
