import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { UpstreamConfig } from '../config/upstream-schema.js';
import { PACKAGE_ROOT } from '../config/package-root.js';
import { FlashdError } from '../domain/errors.js';
import type { N3HttpOptions } from './n3-http-transport.js';

/**
 * The HTTP transport's options with the secrets read: the token from its file (a systemd
 * credential, ideally) and the mTLS PEM files. Relative paths are relative to the config file.
 * A file that cannot be read is CONFIG_UNREADABLE, naming the path, never the content.
 */
export async function loadN3Transport(upstream: UpstreamConfig, configFile: string | undefined): Promise<N3HttpOptions> {
  const { n3 } = upstream;
  if (n3.url === undefined)
    throw new FlashdError('CONFIG_INVALID', '/upstream/n3/url is not set', { details: { problems: ['/upstream/n3/url: is required'] } });
  const base = configFile ? dirname(resolve(configFile)) : PACKAGE_ROOT;
  const read = async (path: string, key: string): Promise<Buffer> => {
    const abs = isAbsolute(path) ? path : resolve(base, path);
    try {
      return await readFile(abs);
    } catch (err) {
      throw new FlashdError('CONFIG_UNREADABLE', `/upstream/n3/${key}: cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  };
  let token: string | undefined;
  if (typeof n3.token === 'string') token = n3.token;
  else if (n3.token) {
    token = (await read(n3.token.file, 'token/file')).toString('utf8').trim();
    if (!/^[\x21-\x7e]{8,4096}$/.test(token)) {
      throw new FlashdError('CONFIG_INVALID', `/upstream/n3/token/file: ${n3.token.file} does not hold a token (8..4096 visible characters)`, {
        details: { problems: ['/upstream/n3/token/file: not a token'] },
      });
    }
  }
  const tls = n3.tls && {
    cert: n3.tls.certFile === undefined ? undefined : await read(n3.tls.certFile, 'tls/certFile'),
    key: n3.tls.keyFile === undefined ? undefined : await read(n3.tls.keyFile, 'tls/keyFile'),
    ca: n3.tls.caFile === undefined ? undefined : await read(n3.tls.caFile, 'tls/caFile'),
  };
  return { url: n3.url, token, tls, requestTimeoutMs: n3.requestTimeoutMs, maxSockets: n3.concurrency };
}
