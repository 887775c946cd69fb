import type { HubTruth } from './truth.js';

/** A line a person typed at the interactive simulator, understood. */
export type CliCommand =
  /** An action as JSON, checked by performAction like one posted to the control API. */
  { kind: 'action'; action: Record<string, unknown> } | { kind: 'truth' } | { kind: 'slots' } | { kind: 'help' } | { kind: 'quit' } | { kind: 'none' };

export const CLI_HELP = `commands (J/S = jig/slot, e.g. 1/3):
  insert J/S [DEVICE-ID]   put the next stock hub in (or one from the shelf by Device ID)
  remove J/S               take the hub out (it waits on the shelf)
  press J/S                press the slot button (the daemon retries the hub)
  power J/S on|off         switch slot power
  fault {JSON}             inject a fault now, e.g. fault {"kind":"brick","target":{"jig":1,"slot":3}}
  truth                    what every hub really runs and holds
  slots                    slot LEDs and power
  help                     this text
  quit                     stop the simulator`;

/** Parses one interactive line; throws an Error whose message tells the person what to type. */
export function parseCliCommand(line: string): CliCommand {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { kind: 'none' };
  const [word = '', ...rest] = text.split(/\s+/);
  const verb = word.toLowerCase();
  const place = (): { jig: number; slot: number } => {
    const m = /^(\d{1,2})\/(\d)$/.exec(rest[0] ?? '');
    if (!m) throw new Error(`${verb} needs a slot as J/S, e.g. ${verb} 1/3`);
    return { jig: Number(m[1]), slot: Number(m[2]) };
  };
  switch (verb) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'truth':
      return { kind: 'truth' };
    case 'slots':
      return { kind: 'slots' };
    case 'insert':
      return { kind: 'action', action: { action: 'insert', ...place(), ...(rest[1] ? { deviceId: rest[1].toUpperCase() } : {}) } };
    case 'remove':
    case 'press':
      return { kind: 'action', action: { action: verb, ...place() } };
    case 'power': {
      const state = rest[1]?.toLowerCase();
      if (state !== 'on' && state !== 'off') throw new Error('power needs on or off, e.g. power 1/3 off');
      return { kind: 'action', action: { action: 'power', ...place(), on: state === 'on' } };
    }
    case 'fault': {
      const json = text.slice(word.length).trim();
      try {
        return { kind: 'action', action: { action: 'fault', fault: JSON.parse(json) as unknown } };
      } catch {
        throw new Error('fault needs a JSON fault, e.g. fault {"kind":"brown-out","target":{"jig":1,"slot":2},"durationMs":500}');
      }
    }
    default:
      throw new Error(`unknown command "${word}"; type help`);
  }
}

/** One line per hub, for people. */
export function formatTruth(hubs: readonly HubTruth[]): string {
  if (hubs.length === 0) return '(no hubs)';
  return hubs
    .map((h) => {
      const where = h.jigId ? `${h.jigId}/${h.slot}` : 'shelf';
      const held = h.heldImage ? ` held ${h.heldImage.committedBytes}/${h.heldImage.sizeBytes}${h.heldImage.verified ? ' verified' : ''}` : '';
      const flags = [
        h.pendingActivation && 'activating',
        h.unlocked && 'unlocked',
        h.lockedOut && 'locked-out',
        h.bricked && 'BRICKED',
        h.hung && 'hung',
        !h.powered && h.jigId && 'no-power',
      ]
        .filter(Boolean)
        .join(' ');
      return `${where.padEnd(10)} ${h.deviceId} ${h.model} runs ${h.firmwareVersion} flashed ${h.flashCount}${held}${flags ? ` [${flags}]` : ''}`;
    })
    .join('\n');
}
