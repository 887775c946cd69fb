#!/usr/bin/env node
import { FlashdError } from './domain/errors.js';
import { configuredJigs } from './daemon/hardware.js';
import { runDaemon } from './daemon/run-daemon.js';

/**
 * The production daemon: drives the jigs of its config file. The built-in simulator is a separate
 * program (`flashd-sim`, jig-sim/main.ts, what `npm start` runs), so nothing of jig-sim is loaded here.
 */
await runDaemon({
  name: 'flashd',
  usage:
    'usage: flashd --config flashd.json\n  drives the jigs of the config file; the built-in jig simulator is `flashd-sim` (npm start)\n  env: FLASHD_CONFIG (config path), FLASHD_PORT (API port)\n',
  hardwareFor: ({ config, source }) => {
    if (config.simulator.enabled) {
      const where = source ? `${source}: /simulator/enabled is true` : 'no config file was given (the embedded defaults run the simulator)';
      throw new FlashdError(
        'CONFIG_INVALID',
        `${where}; flashd drives real jigs only: set simulator.enabled to false and list the jigs, or run the simulator with flashd-sim (npm start)`,
      );
    }
    return configuredJigs;
  },
});
