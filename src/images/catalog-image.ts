import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageTarget } from '../domain/eligibility.js';
import { throwIfAborted } from '../domain/abort.js';
import { FlashdError, isFlashdError } from '../domain/errors.js';
import { firmwareVersionFromNumber, formatManufacturer } from '../domain/identifiers.js';
import type { HanVariant, ManifestImage } from './manifest.js';
import { parseOtaHeader, type OtaHeader } from './ota-header.js';
import { parseOtaSubElements, upgradeImageOf } from './ota-sub-elements.js';

/**
 * A production image that passed every check against the signed manifest. The object and its
 * header are frozen; `data` cannot be (typed arrays with elements refuse `Object.freeze`), so
 * holders must treat it as read-only.
 */
export interface CatalogImage extends ImageTarget {
  hanVariant: HanVariant;
  /** From the manifest; undefined when it does not say (then N3 reporting refuses to start). */
  smetsChtsVersion: string | undefined;
  fileName: string;
  sizeBytes: number;
  /** SHA-256 of the whole file, lower-case hex; the hub's own hash is compared with it after transfer. */
  sha256: string;
  header: Readonly<OtaHeader>;
  /**
   * The whole file, copied once into a SharedArrayBuffer so sessions in worker threads get a view
   * of the same memory instead of a copy per hub.
   */
  data: Uint8Array;
}

/**
 * Largest image file flashd loads: 16 MiB. Hub images are a few hundred KiB and each is held in
 * memory for the life of the daemon; without a bound a signed 100 MB file would simply load.
 */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

function tooLarge(file: string, sizeBytes: number, what: string): FlashdError {
  return new FlashdError('IMAGE_TOO_LARGE', `image ${file}: ${what} ${sizeBytes} bytes, over the ${MAX_IMAGE_BYTES}-byte (16 MiB) limit`, {
    details: { file, sizeBytes, limitBytes: MAX_IMAGE_BYTES },
  });
}

/** Reads the file only once its size on disk is known to be within the limit. */
async function readImage(path: string, file: string, signal: AbortSignal | undefined): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new FlashdError('IMAGE_MISSING', `image ${file} listed in the manifest cannot be read: ${(err as Error).message}`, {
      cause: err,
      details: { file, path },
    });
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_IMAGE_BYTES) throw tooLarge(file, size, 'the file is');
    return await handle.readFile({ signal });
  } catch (err) {
    if (err instanceof FlashdError) throw err;
    throwIfAborted(signal, `reading image ${file}`);
    throw new FlashdError('IMAGE_MISSING', `image ${file} listed in the manifest cannot be read: ${(err as Error).message}`, {
      cause: err,
      details: { file, path },
    });
  } finally {
    await handle.close();
  }
}

function parseHeader(bytes: Buffer, file: string): OtaHeader {
  try {
    const header = parseOtaHeader(bytes);
    upgradeImageOf(parseOtaSubElements(bytes, header), header);
    return header;
  } catch (err) {
    if (!isFlashdError(err)) throw err;
    throw new FlashdError(err.code, `image ${file}: ${err.message}`, { cause: err, details: { ...err.details, file } });
  }
}

function checkHeaderAgainstManifest(header: OtaHeader, entry: ManifestImage, fileSize: number): void {
  const checks: [field: string, actual: unknown, expected: unknown][] = [
    ['manufacturerCode', formatManufacturer(header.manufacturerCode), entry.manufacturer],
    // The model's upper 16 bits, as the OTA image type field has only 16 (firmware-images/README.md).
    ['imageType', header.imageType.toString(16).toUpperCase().padStart(4, '0'), entry.model.slice(0, 4)],
    ['fileVersion', firmwareVersionFromNumber(header.fileVersion), entry.version],
    ['totalImageSize', header.totalImageSize, fileSize],
    ['hardwareMin', header.hardwareMin, entry.hardwareMin],
    ['hardwareMax', header.hardwareMax, entry.hardwareMax],
  ];
  for (const [field, actual, expected] of checks) {
    if (actual !== expected) {
      throw new FlashdError('OTA_HEADER_MISMATCH', `image ${entry.file}: OTA header ${field} is ${String(actual)} but the manifest says ${String(expected)}`, {
        details: { file: entry.file, field, actual, expected },
      });
    }
  }
}

/**
 * Reads one image named by a verified manifest entry and checks, in this order, size (against
 * {@link MAX_IMAGE_BYTES} and the manifest), SHA-256 and OTA header (well formed, with one upgrade
 * image, then agreeing with the manifest). Cheap checks first; the hash before the header so a
 * tampered file is reported as tampered rather than as malformed.
 */
export async function loadCatalogImage(dir: string, entry: ManifestImage, signal?: AbortSignal): Promise<CatalogImage> {
  if (entry.sizeBytes > MAX_IMAGE_BYTES) throw tooLarge(entry.file, entry.sizeBytes, 'the manifest says');
  const bytes = await readImage(join(dir, entry.file), entry.file, signal);
  if (bytes.length !== entry.sizeBytes) {
    throw new FlashdError('IMAGE_SIZE_MISMATCH', `image ${entry.file} is ${bytes.length} bytes but the manifest says ${entry.sizeBytes}`, {
      details: { file: entry.file, expected: entry.sizeBytes, actual: bytes.length },
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== entry.sha256) {
    throw new FlashdError('IMAGE_HASH_MISMATCH', `image ${entry.file} has SHA-256 ${sha256} but the manifest says ${entry.sha256}`, {
      details: { file: entry.file, expected: entry.sha256, actual: sha256 },
    });
  }
  const header = Object.freeze(parseHeader(bytes, entry.file));
  checkHeaderAgainstManifest(header, entry, bytes.length);
  const data = new Uint8Array(new SharedArrayBuffer(bytes.length));
  data.set(bytes);
  const image: CatalogImage = {
    manufacturer: entry.manufacturer,
    model: entry.model,
    version: entry.version,
    hardwareMin: entry.hardwareMin,
    hardwareMax: entry.hardwareMax,
    hanVariant: entry.hanVariant,
    smetsChtsVersion: entry.smetsChtsVersion,
    fileName: entry.file,
    sizeBytes: bytes.length,
    sha256,
    header,
    data,
  };
  return Object.freeze(image);
}
