import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { manufacturersWithoutKey } from '../config/manufacturers.js';
import { n3Enabled } from '../config/upstream-schema.js';
import { createLogger } from '../logger.js';
import type { N3HttpOptions } from '../upstream/n3-http-transport.js';
import { loadN3Transport } from '../upstream/n3-settings.js';
import { createDaemon, type Daemon } from './create-daemon.js';
import { EX_CONFIG, startFailureStatus } from './exit-status.js';
import type { HardwareFactory } from './hardware.js';
import { superviseBySystemd } from './supervision.js';

export interface DaemonProgram {
  /** The program's name in messages and usage. */
  name: string;
  usage: string;
  /** The hardware for a loaded config; throws CONFIG_INVALID for a config this program cannot run. */
  hardwareFor(loaded: LoadedConfig): HardwareFactory;
}

/**
 * A daemon process: arguments, config, signals and exit statuses around {@link createDaemon}.
 * SIGTERM/SIGINT stop at any point, start-up included; a refused start exits with a status systemd
 * can tell apart (docs/errors.md) and leaves nothing behind.
 */
export async function runDaemon(program: DaemonProgram): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(program.usage);
    return;
  }
  const fail = (err: unknown, status: number): void => {
    process.stderr.write(`${program.name}: ${(err as Error).message}\n`);
    process.exitCode = status;
  };
  let loaded: LoadedConfig;
  let hardware: HardwareFactory;
  // N3 secrets are read now, so a missing token file is a configuration error (exit 78), not a late failure.
  let n3Transport: N3HttpOptions | undefined;
  try {
    loaded = await loadConfig({ file: values.config ?? process.env.FLASHD_CONFIG });
    hardware = program.hardwareFor(loaded);
    n3Transport = n3Enabled(loaded.config.upstream) ? await loadN3Transport(loaded.config.upstream, loaded.source) : undefined;
  } catch (err) {
    return fail(err, EX_CONFIG);
  }
  const { config } = loaded;
  // A person at a terminal reads lines; journald and pipes keep JSON.
  const pretty = process.stdout.isTTY === true;
  const log = createLogger(config.log.level, undefined, { pretty }).child({ benchId: config.benchId });
  log.info({ source: loaded.source ?? 'embedded defaults', simulator: config.simulator.enabled, upstream: config.upstream.mode }, 'flashd starting');
  const unkeyed = manufacturersWithoutKey(loaded.unlockKeys);
  if (unkeyed.length > 0)
    log.warn({ manufacturers: unkeyed }, 'no unlock key for these manufacturers: their hubs are refused before unlock (UNLOCK_KEY_MISSING)');

  // From here on, not only once ready: sessions start as soon as the first jig connects.
  const stop = new AbortController();
  let created: Promise<Daemon> | undefined;
  let supervised: ReturnType<typeof superviseBySystemd>;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stop.abort(signal);
      supervised?.supervision.stopping(signal);
      // A start under way tears itself down on the abort; a daemon stops in order. Then exit.
      void (created ?? Promise.reject(new Error('not created')))
        .then(
          (daemon) => daemon.stop(signal),
          () => undefined,
        )
        .then(() => {
          log.flush();
          process.exit(process.exitCode ?? 0);
        });
    });
  }
  try {
    created = createDaemon(config, { hardware, log, unlockKeys: loaded.unlockKeys, n3Transport, signal: stop.signal });
    const daemon = await created;
    const url = await daemon.start();
    if (url === undefined) return; // a signal came during start-up: it is shutting down, not ready
    log.info({ url, jigs: daemon.hardware.jigs.map((j) => j.id) }, 'flashd ready');
    // READY=1 only now: the store is open, each jig had its first connect attempt, the API listens.
    supervised = superviseSafely(daemon, log);
    supervised?.supervision.ready();
    if (pretty) process.stdout.write(`\n  open ${dashboardUrl(url)}\n\n`);
  } catch (err) {
    // Steps torn down by a signal's shutdown fail under start-up: that is the stop, not a fault.
    if (stop.signal.aborted) return;
    log.fatal({ err }, 'flashd could not start');
    fail(err, startFailureStatus(err));
    log.flush();
  }
}

/** systemd supervision when NOTIFY_SOCKET asks for it; a socket flashd cannot use is logged, not fatal. */
function superviseSafely(daemon: Daemon, log: Logger): ReturnType<typeof superviseBySystemd> {
  const facts = {
    jigs: () => daemon.bench.jigs(),
    activeSessions: () => daemon.bench.activeSessions,
    pendingN3: () => daemon.stores.outbox.summary().pending,
  };
  try {
    return superviseBySystemd(facts, log);
  } catch (err) {
    log.warn({ err }, 'cannot notify systemd: Type=notify will time out');
    return undefined;
  }
}

/** The address a browser on this machine opens: a wildcard listen address is reached on 127.0.0.1. */
function dashboardUrl(url: string): string {
  return `${url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:')}/`;
}
