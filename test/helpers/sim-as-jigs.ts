import { join } from 'node:path';
import { demoMasterKey } from '../../jig-sim/demo-keys.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

/**
 * Config a bench needs when a test points the daemon at a simulator as if it were real jigs
 * (`simulator.enabled: false`): the manifest key it trusts and an unlock key per manufacturer,
 * which for simulated hubs are the demo ones. The daemon fills neither in without its simulator.
 */
export function simulatedBenchKeys(): { images: { trustedKeyFiles: string[] }; unlock: { keys: Record<string, string> } } {
  return {
    images: { trustedKeyFiles: [join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem')] },
    unlock: { keys: Object.fromEntries(['1086', '1178', '106C'].map((m) => [m, demoMasterKey(m).toString('hex')])) },
  };
}
