import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApiClient, ApiError, ConnectionError } from './api-client.js';
import { COMMANDS, UsageError } from './commands.js';

/** Exit statuses scripts can branch on. */
export const EXIT = { OK: 0, REFUSED: 1, USAGE: 2, UNREACHABLE: 3, SCAN_REJECTED: 4 } as const;

export interface FlashctlIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
}

const OPTIONS = {
  api: { type: 'string' },
  operator: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  state: { type: 'string' },
  party: { type: 'string' },
  id: { type: 'string' },
  region: { type: 'string' },
  note: { type: 'string' },
  out: { type: 'string' },
  csv: { type: 'boolean' },
  by: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'all-ready': { type: 'boolean' },
  'work-order': { type: 'string' },
  write: { type: 'boolean' },
  'token-file': { type: 'string' },
  'tokens-file': { type: 'string' },
  'pins-file': { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  actor: { type: 'string' },
  route: { type: 'string' },
  target: { type: 'string' },
  outcome: { type: 'string' },
  before: { type: 'string' },
  limit: { type: 'string' },
  store: { type: 'string' },
  since: { type: 'string' },
} as const;

export function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  flashctl ${c.usage}`);
  return [
    'usage: flashctl [--api URL] [--token-file FILE] [--operator ID] [--json] <command> ...',
    '  --api         flashd API (env FLASHCTL_API, default http://127.0.0.1:8080)',
    '  --token-file  file holding an API token (env FLASHCTL_TOKEN holds the token itself); none on the bench PC',
    '  --operator    sign in as this technician first (env FLASHCTL_OPERATOR; PIN in env FLASHCTL_PIN)',
    '  --json      print the API answer as JSON',
    ...lines,
    'exit status: 0 ok, 1 refused by flashd (code on stderr), 2 usage, 3 flashd unreachable, 4 a scanned hub was rejected or its scan refused (the rest of the batch still goes in)',
    '',
  ].join('\n');
}

/**
 * flashctl: the back-office's and technicians' command line over flashd's HTTP API. Every
 * refusal prints the API's stable code and message (and each bad line of an import) on stderr.
 */
export async function runFlashctl(argv: string[], io: FlashctlIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr(`flashctl: ${(err as Error).message}\n${usage()}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (values.help || !name) {
    (values.help ? io.stdout : io.stderr)(usage());
    return values.help ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`flashctl: unknown command "${name}"\n${usage()}`);
    return EXIT.USAGE;
  }
  try {
    const tokenFile = values['token-file'];
    const token = tokenFile ? (await readFile(tokenFile, 'utf8')).trim() : io.env.FLASHCTL_TOKEN;
    const api = new ApiClient({
      baseUrl: values.api ?? io.env.FLASHCTL_API ?? 'http://127.0.0.1:8080',
      operatorId: values.operator ?? io.env.FLASHCTL_OPERATOR,
      token,
      pin: io.env.FLASHCTL_PIN,
    });
    return await command.run({ api, args, options: values, out: io.stdout, err: io.stderr, json: values.json ?? false, readStdin: io.readStdin, env: io.env });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`flashctl ${name}: ${err.message}\nusage: flashctl ${command.usage}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof ConnectionError) {
      io.stderr(`flashctl: ${err.message}\n`);
      return EXIT.UNREACHABLE;
    }
    if (err instanceof ApiError) {
      io.stderr(`flashctl: ${err.code}: ${err.message}\n${problemLines(err)}`);
      return EXIT.REFUSED;
    }
    io.stderr(`flashctl: ${(err as Error).message}\n`);
    return EXIT.REFUSED;
  }
}

/** The per-line or per-hub problems an import or a return reports, one per line. */
function problemLines(err: ApiError): string {
  const problems = err.details?.problems;
  if (!Array.isArray(problems)) return '';
  return (problems as Array<{ line?: number; deviceId?: string; code: string; message: string }>)
    .map((p) => `  ${p.line !== undefined ? `line ${p.line}` : (p.deviceId ?? '')}: ${p.code}: ${p.message}\n`)
    .join('');
}
