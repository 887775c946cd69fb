import { resolve } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';
import type { Config } from './schema.js';

/**
 * Demo unlock master keys of the built-in simulator's hubs (jig-sim/demo-keys.ts derives the same
 * values from a public string; a test keeps them equal). Never valid on real hubs.
 */
const DEMO_UNLOCK_KEYS: Readonly<Record<string, string>> = Object.freeze({
  '1086': '17dc31313a9c88be3d475f935b6fe4df6575b4bb8d74bcfbc9e9de7f686d87fd',
  '1178': '44258f76e93215c944a48941a4d490d5a3f7ea57fc0693cc706722d0d71dcb05',
  '106C': '6a9cb64fa7a86ace553126ed975184d01ad85564d59dc1ef5ff957713b84f109',
});

/** The public half of the demo manifest signing key the shipped sample images are signed with. */
const DEMO_TRUSTED_KEY_FILE = resolve(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem');

/**
 * The demo unlock keys and the demo signing key belong to the built-in simulator only. With the
 * simulator on, a manufacturer without a configured key gets its demo key (the simulated hubs
 * only know those) and no trusted key means the demo one. With it off nothing is filled in: real
 * hubs must never see a demo key, and a bench that trusts no manifest key is misconfigured.
 * Returns the problems, each with its JSON path; mutates the unfrozen config.
 */
export function applySimulatorDefaults(config: Config): string[] {
  if (config.simulator.enabled) {
    config.unlock.keys = { ...DEMO_UNLOCK_KEYS, ...config.unlock.keys };
    if (config.images.trustedKeyFiles.length === 0) config.images.trustedKeyFiles = [DEMO_TRUSTED_KEY_FILE];
    return [];
  }
  if (config.images.trustedKeyFiles.length === 0) {
    return ['/images/trustedKeyFiles: no trusted manifest key is configured; the demo signing key is for the simulator only (simulator.enabled)'];
  }
  return [];
}
