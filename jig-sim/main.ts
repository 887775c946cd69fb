#!/usr/bin/env node
import { runDaemon } from '../src/daemon/run-daemon.js';
import { simulatorOrConfiguredJigs } from './daemon-hardware.js';

/**
 * flashd with the built-in jig simulator (`npm start`, demos, training, CI): the same daemon as
 * src/main.ts, built by the same composition root, with virtual jigs when the config enables the
 * simulator (the embedded defaults do) and the config's jigs when it does not.
 */
await runDaemon({
  name: 'flashd-sim',
  usage:
    'usage: flashd-sim [--config flashd.json]\n  flashd with the built-in jig simulator; without a config file it runs 1 simulated jig with embedded defaults\n  env: FLASHD_CONFIG (config path), FLASHD_PORT (API port)\n',
  hardwareFor: () => simulatorOrConfiguredJigs,
});
