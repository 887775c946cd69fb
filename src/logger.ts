import { pino, type Logger } from 'pino';
import { prettyDestination } from './log-format.js';

/**
 * Paths pino blanks out wherever they appear in a log object. Secrets never reach a log line by
 * accident: a config dump, an upstream request or an error with headers attached.
 */
export const REDACT_PATHS = [
  'unlock.keys',
  '*.unlock.keys',
  'unlockKeys',
  '*.unlockKeys',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  '*.headers.Authorization',
  '*.*.headers.authorization',
  '*.*.headers.Authorization',
  'upstream.n3.token',
  '*.upstream.n3.token',
  'n3.token',
  '*.n3.token',
];

/**
 * JSON lines to stdout (journald keeps them); level from config. With `pretty` (main sets it when
 * stdout is a terminal) the same lines are printed for a person to read.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, options: { pretty?: boolean } = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'flashd' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? (options.pretty ? prettyDestination(process.stdout, !process.env.NO_COLOR) : pino.destination({ fd: 1, sync: false })),
  );
}
