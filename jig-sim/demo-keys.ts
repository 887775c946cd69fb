import { createHash } from 'node:crypto';

/**
 * Demo manufacturer master keys for the simulated hubs. Derived from a public string, so they
 * are for demos, CI and training only; the daemon's embedded default config carries the same
 * values (a test keeps them equal).
 */
export function demoMasterKey(manufacturer: string): Buffer {
  return createHash('sha256').update(`flashd demo unlock master key ${manufacturer}`).digest();
}
