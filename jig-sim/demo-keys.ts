import { createHash } from 'node:crypto';
import { DEVICE_MODELS } from '../firmware-images/models.js';

/**
 * Demo manufacturer master keys for the simulated hubs. Derived from a public string, so they
 * are for demos, CI and training only; the daemon's embedded default config carries the same
 * values (a test keeps them equal).
 */
export function demoMasterKey(manufacturer: string): Buffer {
  return createHash('sha256').update(`flashd demo unlock master key ${manufacturer}`).digest();
}

/** The demo master key of every manufacturer in the catalogue's models, as a session pool takes them. */
export function demoUnlockKeys(): Map<string, Uint8Array> {
  return new Map(DEVICE_MODELS.map((m): [string, Uint8Array] => [m.manufacturer, demoMasterKey(m.manufacturer)]));
}
