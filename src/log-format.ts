import { Writable } from 'node:stream';

const LEVELS: Record<number, [name: string, colour: string]> = {
  10: ['TRACE', '90'],
  20: ['DEBUG', '90'],
  30: ['INFO ', '32'],
  40: ['WARN ', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '41;97'],
};
/** Fields every line has, or that the line shows in its own place. */
const SKIP = new Set(['level', 'time', 'msg', 'service', 'benchId', 'pid', 'hostname', 'err']);

/**
 * One pino JSON line as a person reads it in a terminal:
 * `18:03:44 INFO  hub identified  jig=JIG-1 slot=3 deviceId=00-DB-… action=flash`.
 * A line that is not JSON passes through unchanged.
 */
export function formatLogLine(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const [name, code] = LEVELS[Number(entry.level)] ?? ['?    ', '0'];
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : new Date(Number(entry.time ?? Date.now())).toISOString().slice(11, 19);
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  const err = entry.err as { message?: string; code?: string } | undefined;
  if (err) fields.push(`err=${JSON.stringify(`${err.code ? `${err.code}: ` : ''}${err.message ?? ''}`)}`);
  const level = colour ? `\x1b[${code}m${name}\x1b[0m` : name;
  const text = typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? '');
  const msg = colour ? `\x1b[1m${text}\x1b[0m` : text;
  return `${time} ${level} ${msg}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}

/** A destination for pino that writes human-readable lines to `out` (a terminal). */
export function prettyDestination(out: NodeJS.WritableStream, colour: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) out.write(formatLogLine(line, colour));
      done();
    },
  });
}
