import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { isLoopbackAddress } from '../../config/api-access-schema.js';
import type { Config } from '../../config/schema.js';
import { FlashdError } from '../../domain/errors.js';
import type { ApiAccess } from './access-options.js';
import { FailureLimiter } from './failure-limiter.js';
import { PinFile } from './pin-file.js';
import { SessionStore } from './sessions.js';
import { TokenFile } from './token-file.js';

/** TLS key and certificate from their files; a missing one refuses the start (exit 78), naming the key. */
export function readTls(tls: Config['api']['tls']): { key: Buffer; cert: Buffer } | undefined {
  if (!tls) return undefined;
  const read = (path: string, key: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new FlashdError('CONFIG_UNREADABLE', `api.tls.${key}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  return { key: read(tls.keyFile, 'keyFile'), cert: read(tls.certFile, 'certFile') };
}

/** The API's access from `config.api`: reads the tokens and PIN files now, so a bad one refuses the start. */
export function accessFromConfig(api: Config['api'], log: Logger): ApiAccess {
  const tokens = api.tokensFile
    ? new TokenFile(api.tokensFile, (err) => log.error({ err }, 'API tokens file unusable: every token is refused until it is fixed'))
    : undefined;
  return {
    loopbackListener: isLoopbackAddress(api.host),
    loopbackRole: api.loopbackRole,
    tokens,
    pins: api.operatorPinsFile ? new PinFile(api.operatorPinsFile) : undefined,
    sessions: new SessionStore({ ttlMs: api.sessionTtlMs }),
    allowedHosts: api.allowedHosts,
    corsOrigins: api.corsOrigins,
    failures: new FailureLimiter(api.authFailuresPerMinute),
    tls: api.tls !== undefined,
  };
}
