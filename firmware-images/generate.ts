import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { MANIFEST_FILE, MANIFEST_SIGNATURE_FILE } from '../src/images/catalog.js';
import { MANIFEST_SCHEMA_VERSION, type Manifest } from '../src/images/manifest.js';
import type { FirmwareVersion } from '../src/domain/identifiers.js';
import { demoSigningKey, publicKeyPem, signManifest } from './demo-key.js';
import { DEVICE_MODELS, type DeviceModelDefinition } from './models.js';
import { buildSyntheticImage, syntheticImageFileName } from './synthetic-image.js';

/** Fixed, not the current time: a rerun must produce the same manifest bytes and signature. */
export const ISSUED_AT = '2026-11-01T00:00:00Z';
export const DEMO_PUBLIC_KEY_FILE = join('keys', 'demo-signing.pub.pem');

export interface GeneratedImage {
  definition: Readonly<DeviceModelDefinition>;
  fileName: string;
  sizeBytes: number;
  sha256: string;
  /** Raw-deflate size over file size at zlib's default level: ~1.0 for encrypted images. */
  deflateRatio: number;
}

/** Manifest bytes as the generator writes them: 2-space JSON with a final newline. */
export function encodeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/**
 * Writes the synthetic images, manifest.json, its demo signature and the demo public key into
 * `outDir`. Everything is derived from {@link DEVICE_MODELS} and fixed seeds, so two runs write
 * byte-identical files (a test holds the committed files to that).
 */
export async function generateImages(outDir: string): Promise<GeneratedImage[]> {
  await mkdir(join(outDir, dirname(DEMO_PUBLIC_KEY_FILE)), { recursive: true });
  const generated: GeneratedImage[] = [];
  for (const definition of DEVICE_MODELS) {
    const bytes = buildSyntheticImage(definition);
    const fileName = syntheticImageFileName(definition);
    await writeFile(join(outDir, fileName), bytes);
    generated.push({
      definition,
      fileName,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      deflateRatio: deflateRawSync(bytes).length / bytes.length,
    });
  }
  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    issuedAt: ISSUED_AT,
    images: generated.map(({ definition, fileName, sizeBytes, sha256 }) => ({
      manufacturer: definition.manufacturer,
      model: definition.model,
      hanVariant: definition.hanVariant,
      smetsChtsVersion: definition.smetsChtsVersion,
      version: definition.latestVersion as FirmwareVersion,
      file: fileName,
      sizeBytes,
      sha256,
      hardwareMin: definition.hardwareMin,
      hardwareMax: definition.hardwareMax,
    })),
  };
  const manifestBytes = encodeManifest(manifest);
  const key = demoSigningKey();
  await writeFile(join(outDir, MANIFEST_FILE), manifestBytes);
  await writeFile(join(outDir, MANIFEST_SIGNATURE_FILE), `${signManifest(manifestBytes, key)}\n`);
  await writeFile(join(outDir, DEMO_PUBLIC_KEY_FILE), publicKeyPem(key));
  return generated;
}

const scriptDir = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const generated = await generateImages(scriptDir);
  for (const image of generated) {
    const { manufacturerName, model, latestVersion } = image.definition;
    console.log(
      `${image.fileName}  ${manufacturerName.padEnd(7)} ${model} ${latestVersion}  ${image.sizeBytes} bytes (${(image.sizeBytes / 1024).toFixed(1)} KiB)  deflate ratio ${image.deflateRatio.toFixed(4)}`,
    );
  }
  console.log(`wrote ${MANIFEST_FILE}, ${MANIFEST_SIGNATURE_FILE} and ${DEMO_PUBLIC_KEY_FILE} in ${scriptDir}`);
}
