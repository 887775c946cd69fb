#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './api/app.js';
import { FlashdMetrics } from './api/metrics.js';
import { Bench } from './bench/bench.js';
import { SessionPool } from './bench/session-pool.js';
import { loadConfig, type Config, type JigConfig, type LoadedConfig } from './config/index.js';
import { FlashdError, isFlashdError } from './domain/errors.js';
import { ImageCatalog } from './images/index.js';
import type { InProcessLines } from './link/open-link.js';
import { createLogger } from './logger.js';
import { BenchEventBus } from './live/index.js';
import { ShiftFigureReader } from './store/shift-figures.js';
import { dirname } from 'node:path';
import { createDemoWorkOrder, createStores, nextDemoRun, openDatabase, type Stores } from './store/index.js';
import { n3Enabled } from './config/upstream-schema.js';
import { loadN3Transport, N3Reporter, type N3HttpOptions } from './upstream/index.js';

/** Exit statuses systemd can tell apart (RestartPreventExitStatus): bad config, bad data. */
const EX_DATAERR = 65;
const EX_CONFIG = 78;

interface Started {
  jigs: JigConfig[];
  inProcess?: InProcessLines;
  /** Stores what the hardware needs on record before the bench starts (the demo work order). */
  commit(): void;
  close(): Promise<void>;
}

/**
 * Wiring only: config → images → (simulator) → store → session pool → bench → API; signals.
 * Shutdown runs in reverse order of start, each step guarded, then the logger is flushed.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('usage: flashd [--config flashd.json]\n  without a config file flashd runs the built-in jig simulator with embedded defaults\n  env: FLASHD_CONFIG (config path), FLASHD_PORT (API port)\n');
    return;
  }
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ file: values.config ?? process.env.FLASHD_CONFIG });
  } catch (err) {
    process.stderr.write(`flashd: ${(err as Error).message}\n`);
    process.exitCode = EX_CONFIG;
    return;
  }
  const { config } = loaded;
  // N3 secrets are read now, so a missing token file is a configuration error (exit 78), not a late failure.
  let n3Transport: N3HttpOptions | undefined;
  try {
    n3Transport = n3Enabled(config.upstream) ? await loadN3Transport(config.upstream, loaded.source) : undefined;
  } catch (err) {
    process.stderr.write(`flashd: ${(err as Error).message}\n`);
    process.exitCode = EX_CONFIG;
    return;
  }
  // A person at a terminal reads lines; journald and pipes keep JSON.
  const pretty = process.stdout.isTTY === true;
  const log = createLogger(config.log.level, undefined, { pretty }).child({ benchId: config.benchId });
  log.info({ source: loaded.source ?? 'embedded defaults', simulator: config.simulator.enabled, upstream: config.upstream.mode }, 'flashd starting');

  let catalog: ImageCatalog;
  try {
    catalog = await ImageCatalog.load({ dir: config.images.dir, trustedKeyFiles: config.images.trustedKeyFiles });
  } catch (err) {
    log.fatal({ err, code: isFlashdError(err) ? err.code : undefined }, 'firmware images refused');
    process.stderr.write(`flashd: ${(err as Error).message}\n`);
    log.flush();
    process.exitCode = EX_DATAERR;
    return;
  }
  log.info({ images: catalog.list().map((i) => ({ model: i.model, version: i.version, sha256: i.sha256 })) }, 'firmware catalogue verified');

  const stops: Array<[string, () => Promise<void> | void]> = [];
  let stopped: Promise<void> | undefined;
  // Once only, whoever asks first (a signal, or a failed start): steps in reverse order of start.
  const shutdown = (signal: string): Promise<void> =>
    (stopped ??= (async () => {
      log.info({ signal }, 'flashd stopping');
      for (const [name, stop] of [...stops].reverse()) {
        try {
          await stop();
        } catch (err) {
          log.error({ err, step: name }, 'shutdown step failed');
        }
      }
      log.info('flashd stopped');
      log.flush();
    })());
  // From here on, not only once ready: sessions start as soon as the first jig connects.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void shutdown(signal).then(() => process.exit(process.exitCode ?? 0)));
  }

  try {
    const db = openDatabase(config.store.path);
    stops.push(['store', () => void db.close()]);
    // The N3 sink joins the stores before anything can commit a result: each outcome and its outbox row commit together.
    const reporter = n3Transport ? new N3Reporter({ db, n3: config.upstream.n3, transport: n3Transport, catalogue: catalog, log }) : undefined;
    const stores = createStores(db, { maxAttempts: config.process.maxAttempts, sinks: reporter ? [reporter.sink] : [] });
    const store = stores.flash;
    const recovered = store.recoverUnfinished();
    if (recovered > 0) log.warn({ recovered }, 'closed attempts left open by an earlier stop as INTERRUPTED');
    if (reporter) {
      reporter.start();
      stops.push(['n3 reporter', () => reporter.stop()]);
    }
    const isKnownModel = catalog.hasModel;

    const hardware = config.simulator.enabled ? await startSimulator(config, log, { stores, isKnownModel }) : { jigs: [...config.jigs], commit: () => {}, close: async () => {} };
    stops.push(['simulator', () => hardware.close()]);

    const pool = new SessionPool({ maxThreads: config.sessions.maxThreads, concurrentTasksPerThread: config.sessions.concurrentTasksPerThread, unlockKeys: loaded.unlockKeys });
    stops.push(['session pool', () => pool.close()]);

    const bench = new Bench({
      benchId: config.benchId,
      jigs: hardware.jigs,
      sessions: config.sessions,
      jigTimeoutMs: config.jigTimeoutMs,
      catalog,
      store,
      workOrders: stores.workOrders,
      process: config.process,
      pool,
      log,
      inProcess: hardware.inProcess,
    });
    const upstream = { mode: config.upstream.mode, wake: () => reporter?.wake() };
    const metrics = new FlashdMetrics({ bench, outbox: stores.outbox, n3Enabled: reporter !== undefined });
    bench.on('finished', (end) => metrics.observe(end));
    const events = new BenchEventBus({ bench, outbox: stores.outbox, storeDir: dirname(config.store.path), log });
    events.start();
    stops.push(['events', () => events.stop()]);
    const dashboard = { events, shift: new ShiftFigureReader(db) };
    const app = await buildApp({ benchId: config.benchId, bench, store, ...stores, intake: events.observeIntake(stores.intake), upstream, isKnownModel, metrics, log, dashboard });
    await listen(app, config.api);
    stops.push(['api', () => app.close()]);
    // A signal during start-up has begun the shutdown: start nothing more, store nothing more.
    if (stopped) return;
    // Only once nothing else can fail to start: a refused start leaves no demo work order behind.
    hardware.commit();
    stops.push(['bench', () => bench.stop()]);
    await bench.start();
    if (stopped) return; // a signal came while the jigs connected: it is shutting down, not ready
    const url = `http://${config.api.host}:${(app.server.address() as { port: number }).port}`;
    log.info({ url, jigs: hardware.jigs.map((j) => j.id) }, 'flashd ready');
    if (pretty) process.stdout.write(`\n  open ${dashboardUrl(url)}\n\n`);
  } catch (err) {
    // Steps torn down by a signal's shutdown fail under start-up: that is the stop, not a fault.
    if (stopped) return;
    log.fatal({ err }, 'flashd could not start');
    process.stderr.write(`flashd: ${(err as Error).message}\n`);
    process.exitCode = isFlashdError(err, 'MANIFEST_INVALID') ? EX_DATAERR : 1;
    await shutdown('startup failure');
  }
}

/** The address a browser on this machine opens: a wildcard listen address is reached on 127.0.0.1. */
function dashboardUrl(url: string): string {
  return `${url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:')}/`;
}

/** Listens, or names the address and the fix when the port is taken (the usual first-run snag). */
async function listen(app: FastifyInstance, api: Config['api']): Promise<void> {
  try {
    await app.listen({ host: api.host, port: api.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const hint = code === 'EADDRINUSE' ? ': another process holds the port; set api.port in the config or FLASHD_PORT' : '';
    throw new FlashdError('API_LISTEN_FAILED', `cannot serve the API on ${api.host}:${api.port} (${code})${hint}`, { cause: err });
  }
}

/**
 * The built-in simulator. With `simulator.demoWorkOrder` (the default) each start is a new delivery:
 * stock from seed `<seed>/<run>` on a work order DEMO-<run>, taken in at intake, so the demo bench
 * flashes without manual steps (docs/work-orders.md, "Demo").
 */
async function startSimulator(config: Readonly<Config>, log: Logger, demoDeps: { stores: Stores; isKnownModel: (model: string) => boolean }): Promise<Started> {
  const sim = await import('../jig-sim/index.js');
  const options = config.simulator;
  const scenario = options.scenario ? await sim.loadScenario(options.scenario) : undefined;
  const simulator = new sim.Simulator({ jigs: options.jigs, profileFor: sim.HUB_PROFILES[options.profile], timing: options.link, seed: scenario?.seed ?? options.seed });
  // The technician's stock is part of the same delivery, so it is on the demo work order too.
  const count = options.hubs + (options.technician.enabled ? options.stock : 0);
  const demo = options.demoWorkOrder && count > 0 ? nextDemoRun(demoDeps.stores.workOrders) : undefined;
  const specs = sim.generateStock({ seed: demo ? `${options.seed}/${demo.run}` : options.seed, count });
  const commitDemo = (): void => {
    if (!demo) return;
    const lines = specs.map((h) => ({ deviceId: h.deviceId, model: h.model, firmwareVersion: h.firmwareVersion, smiStatus: h.smiStatus }));
    try {
      const created = createDemoWorkOrder(demoDeps.stores, demo.workOrderId, lines, { operatorId: config.process.operatorId, isKnownModel: demoDeps.isKnownModel });
      log.info(created, 'demo work order created and its hubs taken in');
    } catch (err) {
      log.warn({ err }, 'could not create the demo work order; the simulated hubs will be refused at the slots');
    }
  };
  const loaded = simulator.load(specs.slice(0, options.hubs));
  simulator.addStock(specs.slice(options.hubs));
  if (scenario) simulator.startScenario(scenario);
  const tcp = options.transport === 'tcp';
  const addresses = tcp ? await simulator.listenTcp() : simulator.inProcessAddresses();
  const control = options.controlPort === undefined ? undefined : new sim.ControlServer(simulator);
  const controlUrl = await control?.listen(options.controlPort);
  const technician = options.technician.enabled ? new sim.Technician(simulator, options.technician) : undefined;
  technician?.start();
  log.info(
    { jigs: addresses, hubs: loaded, stock: simulator.stock.length, transport: options.transport, technician: options.technician.enabled, control: controlUrl, scenario: options.scenario },
    'built-in jig simulator started',
  );
  return {
    jigs: addresses.map((a) => ({ id: a.id, control: a.control, slots: a.slots, baudRate: options.link.baudRate })),
    ...(tcp ? {} : { inProcess: simulator.openInProcess }),
    commit: commitDemo,
    close: async () => {
      technician?.stop();
      await control?.close();
      await simulator.close();
    },
  };
}

await main();
