import { isFlashdError, type ErrorCode } from '../domain/errors.js';

/** Exit statuses systemd tells apart (RestartPreventExitStatus): a restart cannot fix either. */
export const EX_DATAERR = 65;
export const EX_CONFIG = 78;

/** Firmware the catalogue refused: the images or the manifest must change (65). */
const DATA_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'MANIFEST_INVALID',
  'MANIFEST_SIGNATURE_INVALID',
  'TRUSTED_KEY_INVALID',
  'IMAGE_MISSING',
  'IMAGE_HASH_MISMATCH',
  'IMAGE_SIZE_MISMATCH',
  'IMAGE_TOO_LARGE',
  'OTA_HEADER_INVALID',
  'OTA_HEADER_MISMATCH',
]);

/** A config, a store or a scenario a person must fix (78). */
const CONFIG_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'STORE_UNUSABLE',
  'STORE_INVALID_STATE',
  'SCENARIO_INVALID',
  'TOKENS_FILE_INVALID',
]);

/** The exit status for a refused start; 1 (systemd restarts) for what may pass, e.g. a taken port. */
export function startFailureStatus(err: unknown): number {
  if (!isFlashdError(err)) return 1;
  if (DATA_ERRORS.has(err.code)) return EX_DATAERR;
  if (CONFIG_ERRORS.has(err.code)) return EX_CONFIG;
  return 1;
}
