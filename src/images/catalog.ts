import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../domain/abort.js';
import { FlashdError } from '../domain/errors.js';
import { loadCatalogImage, type CatalogImage } from './catalog-image.js';
import { parseManifest } from './manifest.js';
import { verifyManifestSignature } from './manifest-signature.js';

export const MANIFEST_FILE = 'manifest.json';
/** Detached signature beside the manifest: base64 Ed25519 over the manifest's exact bytes. */
export const MANIFEST_SIGNATURE_FILE = 'manifest.json.sig';

export interface ImageCatalogOptions {
  /** Directory holding manifest.json, manifest.json.sig and the image files it names. */
  dir: string;
  /** PEM Ed25519 public keys; the manifest must verify with at least one. No default: trust is configured. */
  trustedKeyFiles: readonly string[];
  /** Cancels the load between files and during each read (`ABORTED`); nothing half-loaded is returned. */
  signal?: AbortSignal | undefined;
}

function key(manufacturer: string, model: string): string {
  return `${manufacturer.toUpperCase()} ${model.toUpperCase()}`;
}

/**
 * The production images the bench may flash, one per Device Model. A catalogue only exists fully
 * verified: {@link ImageCatalog.load} checks the manifest signature before it parses a byte of
 * JSON, then every image's size, hash and OTA header, and throws at the first failure, so no
 * caller can hold a half-checked catalogue.
 */
export class ImageCatalog {
  readonly #images: readonly CatalogImage[];
  readonly #byModel: ReadonlyMap<string, CatalogImage>;

  private constructor(images: readonly CatalogImage[]) {
    this.#images = Object.freeze([...images]);
    this.#byModel = new Map(images.map((image) => [key(image.manufacturer, image.model), image]));
    Object.freeze(this);
  }

  static async load(options: ImageCatalogOptions): Promise<ImageCatalog> {
    if (options.trustedKeyFiles.length === 0) throw new RangeError('trustedKeyFiles must name at least one public key');
    const { signal } = options;
    const what = `loading the image catalogue from ${options.dir}`;
    throwIfAborted(signal, what);
    const manifestFile = join(options.dir, MANIFEST_FILE);
    let manifestBytes: Buffer;
    try {
      manifestBytes = await readFile(manifestFile, { signal });
    } catch (err) {
      throwIfAborted(signal, what);
      throw new FlashdError('MANIFEST_INVALID', `cannot read manifest ${manifestFile}: ${(err as Error).message}`, {
        cause: err,
        details: { file: manifestFile, problems: [`(root): ${(err as Error).message}`] },
      });
    }
    await verifyManifestSignature({
      manifestFile,
      manifestBytes,
      signatureFile: join(options.dir, MANIFEST_SIGNATURE_FILE),
      trustedKeyFiles: options.trustedKeyFiles,
    });
    const manifest = parseManifest(manifestBytes, manifestFile);
    const images: CatalogImage[] = [];
    // One at a time, in manifest order, so the error reported for a bad set is always the same one.
    for (const entry of manifest.images) {
      throwIfAborted(signal, what);
      images.push(await loadCatalogImage(options.dir, entry, signal));
    }
    return new ImageCatalog(images);
  }

  /** The image to flash a hub of this model to, or undefined when the model is not catalogued. Case-insensitive. */
  latestFor(manufacturer: string, model: string): CatalogImage | undefined {
    return this.#byModel.get(key(manufacturer, model));
  }

  /** Whether any image is for this Device Model (work orders naming another are refused). Bound: pass it as is. */
  readonly hasModel = (model: string): boolean => this.#images.some((image) => image.model === model);

  /** All images in manifest order. */
  list(): readonly CatalogImage[] {
    return this.#images;
  }
}
