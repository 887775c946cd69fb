import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { demoSigningKey, publicKeyPem, signManifest } from '../../firmware-images/demo-key.js';
import { encodeManifest } from '../../firmware-images/generate.js';
import type { DeviceModelDefinition } from '../../firmware-images/models.js';
import type { FirmwareVersion } from '../../src/domain/identifiers.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { MANIFEST_FILE, MANIFEST_SIGNATURE_FILE } from '../../src/images/catalog.js';
import { MANIFEST_SCHEMA_VERSION } from '../../src/images/manifest.js';
import { encodeOtaHeader, parseOtaHeader } from '../../src/images/ota-header.js';
import { OTA_SUB_ELEMENT_HEADER_BYTES, OTA_TAG_UPGRADE_IMAGE } from '../../src/images/ota-sub-elements.js';

/** A signed catalogue in a temp dir, one image per model, for one benchmark scenario. */
export interface PerfCatalog {
  dir: string;
  trustedKeyFile: string;
  /** Per model: file size and raw-deflate size of the whole file (level 9, as the blocks). */
  images: Map<string, { sizeBytes: number; deflatedBytes: number }>;
  remove(): void;
}

/** The real OTA samples whose images compress (test/fixtures/ota-samples/README.md); the Hue one is encrypted. */
export const COMPRESSIBLE_SAMPLES = [
  'ota_t0x300e_m0x1209_v0x02096a90.ota',
  'ota_t0x110f_m0x117c_v0x01000011.ota',
  'han_adapter-2.0_MG13_reworked.ota',
  '1246-0100-01320132.0002__56CF25B2_.ota',
  'HS1SA-E-PLUS-120BA080-20260311-Release.ota',
];

const HEADER_BYTES = 60;

/** 1 MiB of random bytes in a model's OTA wrapper: firmware that does not compress at all. */
export function randomBody(): Buffer {
  return randomBytes(1_048_576 - HEADER_BYTES - OTA_SUB_ELEMENT_HEADER_BYTES);
}

/** A real sample's bytes after its own OTA header: real firmware, compressibility intact. */
export function sampleBody(file: string): Buffer {
  return otaFileBody(join(PACKAGE_ROOT, 'test/fixtures/ota-samples', file));
}

/**
 * Any ZigBee OTA file's bytes after its own header (sub-elements and all): what the benchmark
 * re-wraps for a model and signs into its catalogue. A file that is not OTA is refused, naming it.
 */
export function otaFileBody(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`image ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  let headerLength: number;
  try {
    headerLength = parseOtaHeader(bytes).headerLength;
  } catch (err) {
    throw new Error(`image ${path}: not a ZigBee OTA file (${(err as Error).message})`, { cause: err });
  }
  if (bytes.length <= headerLength) throw new Error(`image ${path}: an OTA header with no image after it`);
  return bytes.subarray(headerLength);
}

/** Wraps `body` for `model` (its manufacturer, latest version and hardware range) as one upgrade-image sub-element. */
function otaImage(model: DeviceModelDefinition, body: Buffer): Buffer {
  const element = Buffer.alloc(OTA_SUB_ELEMENT_HEADER_BYTES);
  element.writeUInt16LE(OTA_TAG_UPGRADE_IMAGE, 0);
  element.writeUInt32LE(body.length, 2);
  const header = encodeOtaHeader({
    headerVersion: 0x0100,
    manufacturerCode: Number.parseInt(model.manufacturer, 16),
    imageType: Number.parseInt(model.model.slice(0, 4), 16),
    fileVersion: Number.parseInt(model.latestVersion, 16),
    zigbeeStackVersion: 2,
    headerString: `flashd perf ${model.model}`,
    totalImageSize: HEADER_BYTES + element.length + body.length,
    hardwareMin: model.hardwareMin,
    hardwareMax: model.hardwareMax,
  });
  return Buffer.concat([header, element, body]);
}

/** Writes images, manifest, its demo signature and the demo public key; the catalogue verifies them as in production. */
export function buildPerfCatalog(bodies: ReadonlyMap<DeviceModelDefinition, Buffer>): PerfCatalog {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-perf-images-'));
  const images = new Map<string, { sizeBytes: number; deflatedBytes: number }>();
  const entries = [...bodies].map(([model, body]) => {
    const bytes = otaImage(model, body);
    const file = `${model.manufacturer}-${model.model}-${model.latestVersion}.ota`;
    writeFileSync(join(dir, file), bytes);
    images.set(model.model, { sizeBytes: bytes.length, deflatedBytes: deflateRawSync(bytes, { level: 9 }).length });
    return {
      manufacturer: model.manufacturer,
      model: model.model,
      hanVariant: model.hanVariant,
      version: model.latestVersion as FirmwareVersion,
      file,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      hardwareMin: model.hardwareMin,
      hardwareMax: model.hardwareMax,
    };
  });
  const manifest = encodeManifest({ schemaVersion: MANIFEST_SCHEMA_VERSION, issuedAt: new Date().toISOString(), images: entries });
  const key = demoSigningKey();
  writeFileSync(join(dir, MANIFEST_FILE), manifest);
  writeFileSync(join(dir, MANIFEST_SIGNATURE_FILE), `${signManifest(manifest, key)}\n`);
  const trustedKeyFile = join(dir, 'demo-signing.pub.pem');
  writeFileSync(trustedKeyFile, publicKeyPem(key));
  return { dir, trustedKeyFile, images, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
