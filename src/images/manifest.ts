import { FlashdError } from '../domain/errors.js';
import type { FirmwareVersion } from '../domain/identifiers.js';

export const MANIFEST_SCHEMA_VERSION = 1;
export const HAN_VARIANTS = ['Single Band', 'Dual Band'] as const;
export type HanVariant = (typeof HAN_VARIANTS)[number];

/**
 * One production image as the signed manifest lists it. Identifiers are upper-case hex exactly as
 * DCC interfaces print them and `sha256` is lower-case hex, so lookups never depend on case.
 */
export interface ManifestImage {
  manufacturer: string;
  model: string;
  hanVariant: HanVariant;
  version: FirmwareVersion;
  /**
   * SMETS/CHTS version the image complies with, as the CPL pairs it with this firmware version
   * (e.g. `V1.3`). Optional in the file; the N3 notification needs it, so `upstream.mode` n3 or
   * both refuses to start on a manifest that leaves it out (docs/n3.md).
   */
  smetsChtsVersion?: string;
  /** A bare file name in the manifest's directory; a path could point the bench anywhere. */
  file: string;
  sizeBytes: number;
  sha256: string;
  /** Inclusive hardware bounds; both or neither, and equal to the OTA header's. */
  hardwareMin?: number;
  hardwareMax?: number;
}

export interface Manifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  /** ISO 8601 UTC, e.g. `2026-11-01T00:00:00Z`: when the image set was approved. */
  issuedAt: string;
  images: ManifestImage[];
}

const TOP_KEYS = new Set(['schemaVersion', 'issuedAt', 'images']);
const IMAGE_KEYS = new Set(['manufacturer', 'model', 'hanVariant', 'smetsChtsVersion', 'version', 'file', 'sizeBytes', 'sha256', 'hardwareMin', 'hardwareMax']);
/** Printable, short: it is copied into every N3 notification. */
const SMETS_CHTS_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$/;
const ISSUED_AT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkPattern(problems: string[], path: string, value: unknown, re: RegExp, what: string): void {
  if (typeof value !== 'string' || !re.test(value)) problems.push(`${path}: ${show(value)} is not ${what}`);
}

function checkHardware(problems: string[], path: string, image: Record<string, unknown>): void {
  const { hardwareMin: min, hardwareMax: max } = image;
  for (const [key, value] of [
    ['hardwareMin', min],
    ['hardwareMax', max],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff)) {
      problems.push(`${path}.${key}: ${show(value)} is not an integer from 0 to 65535`);
    }
  }
  if ((min === undefined) !== (max === undefined)) problems.push(`${path}: hardwareMin and hardwareMax must be given together`);
  else if (typeof min === 'number' && typeof max === 'number' && min > max) problems.push(`${path}: hardwareMin ${min} is greater than hardwareMax ${max}`);
}

function checkImage(problems: string[], path: string, image: unknown): void {
  if (!isRecord(image)) {
    problems.push(`${path}: ${show(image)} is not an object`);
    return;
  }
  for (const key of Object.keys(image)) if (!IMAGE_KEYS.has(key)) problems.push(`${path}.${key}: unknown field`);
  checkPattern(problems, `${path}.manufacturer`, image.manufacturer, /^[0-9A-F]{4}$/, '4 upper-case hex digits');
  checkPattern(problems, `${path}.model`, image.model, /^[0-9A-F]{8}$/, '8 upper-case hex digits');
  checkPattern(problems, `${path}.version`, image.version, /^[0-9A-F]{8}$/, '8 upper-case hex digits');
  checkPattern(problems, `${path}.sha256`, image.sha256, /^[0-9a-f]{64}$/, '64 lower-case hex digits');
  if (!HAN_VARIANTS.includes(image.hanVariant as HanVariant))
    problems.push(`${path}.hanVariant: ${show(image.hanVariant)} is not one of ${HAN_VARIANTS.join(', ')}`);
  if (image.smetsChtsVersion !== undefined)
    checkPattern(problems, `${path}.smetsChtsVersion`, image.smetsChtsVersion, SMETS_CHTS_RE, 'a SMETS/CHTS version like V1.3');
  const file = image.file;
  if (typeof file !== 'string' || file === '' || file === '.' || file === '..' || /[/\\\0]/.test(file)) {
    problems.push(`${path}.file: ${show(file)} is not a bare file name`);
  }
  if (!Number.isSafeInteger(image.sizeBytes) || (image.sizeBytes as number) <= 0)
    problems.push(`${path}.sizeBytes: ${show(image.sizeBytes)} is not a positive integer`);
  checkHardware(problems, path, image);
}

function checkUnique(problems: string[], images: unknown[]): void {
  const models = new Map<string, number>();
  const files = new Map<string, number>();
  images.forEach((image, i) => {
    if (!isRecord(image)) return;
    const key = `${String(image.manufacturer)} ${String(image.model)}`;
    const firstModel = models.get(key);
    if (firstModel !== undefined)
      problems.push(`images[${i}]: manufacturer ${String(image.manufacturer)} model ${String(image.model)} is already listed at images[${firstModel}]`);
    else models.set(key, i);
    if (typeof image.file !== 'string') return;
    const firstFile = files.get(image.file);
    if (firstFile !== undefined) problems.push(`images[${i}].file: ${show(image.file)} is already listed at images[${firstFile}]`);
    else files.set(image.file, i);
  });
}

/**
 * Validates a parsed manifest and reports every problem with its JSON path in one
 * MANIFEST_INVALID error (`details.problems`), so whoever prepares a manifest fixes it in one go.
 * `source` names the file in the message.
 */
export function validateManifest(value: unknown, source: string): Manifest {
  const problems: string[] = [];
  if (!isRecord(value)) {
    problems.push(`(root): ${show(value)} is not an object`);
  } else {
    for (const key of Object.keys(value)) if (!TOP_KEYS.has(key)) problems.push(`${key}: unknown field`);
    if (value.schemaVersion !== MANIFEST_SCHEMA_VERSION) problems.push(`schemaVersion: ${show(value.schemaVersion)} is not ${MANIFEST_SCHEMA_VERSION}`);
    const issuedAt = value.issuedAt;
    if (typeof issuedAt !== 'string' || !ISSUED_AT_RE.test(issuedAt) || Number.isNaN(Date.parse(issuedAt))) {
      problems.push(`issuedAt: ${show(issuedAt)} is not a UTC timestamp like 2026-11-01T00:00:00Z`);
    }
    if (!Array.isArray(value.images)) problems.push(`images: ${show(value.images)} is not an array`);
    else if (value.images.length === 0) problems.push('images: is empty; a bench with no images could only refuse hubs');
    else {
      value.images.forEach((image, i) => checkImage(problems, `images[${i}]`, image));
      checkUnique(problems, value.images);
    }
  }
  if (problems.length > 0) {
    throw new FlashdError('MANIFEST_INVALID', `${source} is invalid: ${problems.join('; ')}`, { details: { file: source, problems } });
  }
  return value as Manifest;
}

/** Decodes (strict UTF-8) and parses the manifest bytes, then {@link validateManifest}s them. */
export function parseManifest(bytes: Uint8Array, source: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new FlashdError('MANIFEST_INVALID', `${source} is not UTF-8 JSON: ${(err as Error).message}`, {
      cause: err,
      details: { file: source, problems: [`(root): ${(err as Error).message}`] },
    });
  }
  return validateManifest(value, source);
}
