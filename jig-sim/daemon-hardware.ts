import { configuredJigs, type HardwareFactory } from '../src/daemon/hardware.js';
import { ControlServer } from './control-server.js';
import { createDemoWorkOrder, nextDemoRun } from './demo-work-order.js';
import { loadScenario } from './scenario-validate.js';
import { HUB_PROFILES, Simulator } from './simulator.js';
import { generateStock } from './stock.js';
import { Technician } from './technician.js';

/**
 * The daemon's hardware when the config enables the built-in simulator: virtual jigs (in-process
 * or TCP), the control server, the virtual technician. With `simulator.demoWorkOrder` (the default)
 * each start is a new delivery: stock from seed `<seed>/<run>` on a work order DEMO-<run>, taken in
 * at intake once the start can no longer be refused, so the demo bench flashes without manual steps
 * (docs/work-orders.md, "Demo"). With the simulator off, the config's jigs.
 */
export const simulatorOrConfiguredJigs: HardwareFactory = async (context) => {
  const { config, stores, catalog, log } = context;
  if (!config.simulator.enabled) return configuredJigs(context);
  const options = config.simulator;
  const scenario = options.scenario ? await loadScenario(options.scenario) : undefined;
  const simulator = new Simulator({
    jigs: options.jigs,
    profileFor: HUB_PROFILES[options.profile],
    timing: options.link,
    seed: scenario?.seed ?? options.seed,
  });
  const control = options.controlPort === undefined ? undefined : new ControlServer(simulator);
  const technician = options.technician.enabled ? new Technician(simulator, options.technician) : undefined;
  const close = async (): Promise<void> => {
    technician?.stop();
    await control?.close();
    await simulator.close();
  };
  try {
    // The technician's stock is part of the same delivery, so it is on the demo work order too.
    const count = options.hubs + (options.technician.enabled ? options.stock : 0);
    const demo = options.demoWorkOrder && count > 0 ? nextDemoRun(stores.workOrders) : undefined;
    const specs = generateStock({ seed: demo ? `${options.seed}/${demo.run}` : options.seed, count });
    const loaded = simulator.load(specs.slice(0, options.hubs));
    simulator.addStock(specs.slice(options.hubs));
    if (scenario) simulator.startScenario(scenario);
    const tcp = options.transport === 'tcp';
    const addresses = tcp ? await simulator.listenTcp() : simulator.inProcessAddresses();
    const controlUrl = await control?.listen(options.controlPort);
    technician?.start();
    log.info(
      {
        jigs: addresses,
        hubs: loaded,
        stock: simulator.stock.length,
        transport: options.transport,
        technician: options.technician.enabled,
        control: controlUrl,
        scenario: options.scenario,
      },
      'built-in jig simulator started',
    );
    return {
      jigs: addresses.map((a) => ({ id: a.id, control: a.control, slots: a.slots, baudRate: options.link.baudRate })),
      inProcess: tcp ? undefined : simulator.openInProcess,
      commit: () => {
        if (!demo) return;
        const lines = specs.map((h) => ({ deviceId: h.deviceId, model: h.model, firmwareVersion: h.firmwareVersion, smiStatus: h.smiStatus }));
        try {
          const created = createDemoWorkOrder(stores, demo.workOrderId, lines, { operatorId: config.process.operatorId, isKnownModel: catalog.hasModel });
          log.info(created, 'demo work order created and its hubs taken in');
        } catch (err) {
          log.warn({ err }, 'could not create the demo work order; the simulated hubs will be refused at the slots');
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
};
