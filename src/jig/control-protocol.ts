import { FlashdError } from '../domain/errors.js';

/**
 * The jig control channel (docs/protocol.md §1): ASCII lines ending in CR LF, modelled on the
 * SEGGER Flasher remote protocol. Commands carry a sequence id that the reply repeats; events
 * are unsolicited; errors carry a three-digit code and text.
 *
 *   host → jig   #<seq> <COMMAND> [ARG ...]
 *   jig → host   @<seq> OK [key=value ...]   |   @<seq> ERR <nnn> <text>   |   !<EVENT> [key=value ...]
 */
export const JIG_COMMANDS = ['INFO', 'STATUS', 'POWER', 'LED', 'PING'] as const;
export type JigCommandName = (typeof JIG_COMMANDS)[number];

export const JIG_EVENTS = ['READY', 'PRESENT', 'REMOVED', 'BUTTON', 'POWERFAULT'] as const;
export type JigEventName = (typeof JIG_EVENTS)[number];

/** Numbered errors a jig answers with. */
export const JIG_ERRORS = {
  UNKNOWN_COMMAND: 1,
  BAD_ARGUMENT: 2,
  SLOT_RANGE: 3,
  BUSY: 4,
  POWER_FAULT: 5,
  INTERNAL: 255,
} as const;

export const LED_COLOURS = ['OFF', 'GREEN', 'AMBER', 'RED', 'BLUE'] as const;
export type LedColour = (typeof LED_COLOURS)[number];

export type Fields = Record<string, string>;

export interface JigCommand {
  seq: number;
  name: string;
  args: string[];
}

export type JigLine =
  { kind: 'ok'; seq: number; fields: Fields } | { kind: 'error'; seq: number; code: number; text: string } | { kind: 'event'; name: string; fields: Fields };

export const MAX_LINE_BYTES = 256;
const TOKEN = /^[A-Za-z0-9._:/-]+$/;

export function formatCommand(command: JigCommand): string {
  if (!Number.isInteger(command.seq) || command.seq < 1 || command.seq > 9999) throw new RangeError(`jig seq must be 1..9999, got ${command.seq}`);
  for (const token of [command.name, ...command.args]) {
    if (!TOKEN.test(token)) throw new RangeError(`jig command token "${token}" has characters outside [A-Za-z0-9._:/-]`);
  }
  return `#${command.seq} ${[command.name, ...command.args].join(' ')}\r\n`;
}

export function parseCommandLine(line: string): JigCommand {
  const match = /^#(\d{1,4}) ([A-Z]+)((?: [A-Za-z0-9._:/-]+)*)$/.exec(line.trim());
  if (!match) throw new FlashdError('JIG_PROTOCOL', `not a jig command line: ${JSON.stringify(line.slice(0, 80))}`);
  return { seq: Number(match[1]), name: match[2]!, args: match[3]!.trim() === '' ? [] : match[3]!.trim().split(' ') };
}

export function formatOk(seq: number, fields: Fields = {}): string {
  const body = formatFields(fields);
  return `@${seq} OK${body ? ` ${body}` : ''}\r\n`;
}

export function formatError(seq: number, code: number, text: string): string {
  return `@${seq} ERR ${String(code).padStart(3, '0')} ${text.replace(/[\r\n]/g, ' ')}\r\n`;
}

export function formatEvent(name: JigEventName, fields: Fields = {}): string {
  const body = formatFields(fields);
  return `!${name}${body ? ` ${body}` : ''}\r\n`;
}

/** Parses a line from a jig (reply or event). Unknown shapes are JIG_PROTOCOL errors. */
export function parseJigLine(raw: string): JigLine {
  const line = raw.replace(/\r?\n?$/, '').replace(/\r$/, '');
  let m = /^@(\d{1,4}) OK((?: \S+)*)$/.exec(line);
  if (m) return { kind: 'ok', seq: Number(m[1]), fields: parseFields(m[2]!, line) };
  m = /^@(\d{1,4}) ERR (\d{3}) ?(.*)$/.exec(line);
  if (m) return { kind: 'error', seq: Number(m[1]), code: Number(m[2]), text: m[3]! };
  m = /^!([A-Z]+)((?: \S+)*)$/.exec(line);
  if (m) return { kind: 'event', name: m[1]!, fields: parseFields(m[2]!, line) };
  throw new FlashdError('JIG_PROTOCOL', `not a jig reply or event: ${JSON.stringify(line.slice(0, 80))}`);
}

function formatFields(fields: Fields): string {
  return Object.entries(fields)
    .map(([k, v]) => {
      if (!TOKEN.test(k) || !TOKEN.test(v)) throw new RangeError(`jig field ${k}=${v} has characters outside [A-Za-z0-9._:/-]`);
      return `${k}=${v}`;
    })
    .join(' ');
}

function parseFields(text: string, line: string): Fields {
  const fields: Fields = {};
  for (const pair of text.trim() === '' ? [] : text.trim().split(' ')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new FlashdError('JIG_PROTOCOL', `field "${pair}" is not key=value in ${JSON.stringify(line.slice(0, 80))}`);
    fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return fields;
}
