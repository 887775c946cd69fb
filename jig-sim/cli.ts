#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isFlashdError } from '../src/domain/errors.js';
import { CLI_HELP, formatTruth, parseCliCommand } from './cli-commands.js';
import { ControlServer, slotsView } from './control-server.js';
import { loadScenario } from './scenario-validate.js';
import { performAction } from './sim-actions.js';
import { HUB_PROFILES, Simulator, type JigAddresses } from './simulator.js';
import { generateStock } from './stock.js';
import { Technician } from './technician.js';

const USAGE = `usage: jig-sim [--jigs N] [--tcp [--base-port P] | --pty DIR] [--scenario FILE] [--interactive]
               [--hubs N] [--stock N] [--seed S] [--profile default|instant|model]
               [--control-port P] [--technician [--dwell-ms MS]]
Starts virtual jigs (8 slots each) and prints their line addresses and the control API URL as JSON.`;

/** The stand-alone simulator: what CI, demos, benchmarks and technician training talk to. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jigs: { type: 'string', default: '1' },
      tcp: { type: 'boolean', default: false },
      'base-port': { type: 'string', default: '0' },
      pty: { type: 'string' },
      scenario: { type: 'string' },
      interactive: { type: 'boolean', short: 'i', default: false },
      hubs: { type: 'string', default: '8' },
      stock: { type: 'string', default: '0' },
      seed: { type: 'string', default: 'demo' },
      profile: { type: 'string', default: 'model' },
      'control-port': { type: 'string', default: '0' },
      technician: { type: 'boolean', default: false },
      'dwell-ms': { type: 'string', default: '3000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const int = (name: string, text: string, max: number): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > max) throw new RangeError(`--${name} must be an integer 0..${max}, got "${text}"`);
    return n;
  };
  const profileFor = Object.hasOwn(HUB_PROFILES, values.profile) ? HUB_PROFILES[values.profile as keyof typeof HUB_PROFILES] : undefined;
  if (!profileFor) throw new RangeError(`--profile must be default, instant or model, got "${values.profile}"`);
  const scenario = values.scenario ? await loadScenario(values.scenario) : undefined;
  const sim = new Simulator({ jigs: int('jigs', values.jigs, 64) || 1, profileFor, seed: scenario?.seed ?? values.seed });
  const hubs = int('hubs', values.hubs, 512);
  const specs = generateStock({ seed: values.seed, count: hubs + int('stock', values.stock, 100_000) });
  sim.load(specs.slice(0, hubs));
  sim.addStock(specs.slice(hubs));
  if (scenario) sim.startScenario(scenario);

  let addresses: JigAddresses[];
  if (values.pty) addresses = await sim.listenPty({ dir: values.pty });
  else addresses = await sim.listenTcp({ basePort: int('base-port', values['base-port'], 65_535) });
  const control = new ControlServer(sim);
  const controlUrl = await control.listen(int('control-port', values['control-port'], 65_535));
  const technician = values.technician ? new Technician(sim, { dwellMs: int('dwell-ms', values['dwell-ms'], 3_600_000) }) : undefined;
  technician?.start();
  process.stdout.write(`${JSON.stringify({ control: controlUrl, jigs: addresses })}\n`);

  const stop = async (): Promise<void> => {
    technician?.stop();
    await control.close();
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (!values.interactive) return;

  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'jig-sim> ', terminal: process.stdin.isTTY });
  const say = (text: string): void => void process.stdout.write(`${text}\n`);
  say('type help for commands');
  rl.prompt();
  rl.on('line', (line) => {
    try {
      const command = parseCliCommand(line);
      if (command.kind === 'quit') return void rl.close();
      if (command.kind === 'help') say(CLI_HELP);
      else if (command.kind === 'truth') say(formatTruth(sim.truth()));
      else if (command.kind === 'slots')
        say(
          slotsView(sim)
            .map((s) => `${s.jig}/${s.slot} ${s.present ? s.deviceId : '(empty)'} led=${s.led}${s.blink ? '*' : ''} power=${s.powered ? 'on' : 'off'}`)
            .join('\n'),
        );
      else if (command.kind === 'action') say(performAction(sim, command.action).done);
    } catch (err) {
      say(`error: ${isFlashdError(err) ? `${err.code}: ${err.message}` : (err as Error).message}`);
    }
    rl.prompt();
  });
  rl.on('close', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`jig-sim: ${(err as Error).message}\n`);
  process.exit(isFlashdError(err) ? 65 : 1);
});
