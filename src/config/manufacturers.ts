import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { closest } from './suggest-key.js';

/** ZigBee manufacturer codes of the catalogued Device Models: the only ones an unlock key can be for. */
export const MANUFACTURER_CODES: readonly string[] = Object.freeze([...new Set(DEVICE_MODELS.map((m) => m.manufacturer))]);

/**
 * One problem per `unlock.keys` entry whose manufacturer is not catalogued, with the nearest
 * catalogued code (a mistyped "1O86" would otherwise sit unused while 1086 hubs go unkeyed).
 */
export function unknownManufacturerProblems(keys: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(keys)
    .filter((code) => !MANUFACTURER_CODES.includes(code))
    .map((code) => {
      const near = closest(code.toUpperCase(), MANUFACTURER_CODES);
      const hint = near ? `did you mean "${near}"? ` : '';
      return `/unlock/keys/${code}: manufacturer "${code}" is not in the catalogue (${hint}known: ${MANUFACTURER_CODES.join(', ')})`;
    });
}

/** Catalogued manufacturers without an unlock key: their hubs are refused before unlock (UNLOCK_KEY_MISSING). */
export function manufacturersWithoutKey(keys: ReadonlyMap<string, unknown>): string[] {
  return MANUFACTURER_CODES.filter((code) => !keys.has(code));
}
