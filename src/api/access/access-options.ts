import type { ApiRole } from '../../config/api-access-schema.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { PinFile } from './pin-file.js';
import type { SessionStore } from './sessions.js';
import type { TokenFile } from './token-file.js';

/** How the API decides who is asking (config `api`, docs/api.md "Access"). */
export interface ApiAccess {
  /** The listener is on a loopback address: only then may `loopbackRole` be granted. */
  loopbackListener: boolean;
  loopbackRole: ApiRole | 'none';
  tokens: TokenFile | undefined;
  pins: PinFile | undefined;
  sessions: SessionStore;
  /** Host header names besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts: readonly string[];
  corsOrigins: readonly string[];
  /** Failed authentications (tokens, sign-ins) per client address; past `api.authFailuresPerMinute` 429. */
  failures: FailureLimiter;
  /** Served over TLS: the session cookie is then Secure. */
  tls: boolean;
}
