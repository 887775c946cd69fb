import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load-config.js';
import { N3HttpTransport } from '../../../src/upstream/n3-http-transport.js';
import { loadN3Transport } from '../../../src/upstream/n3-settings.js';
import { MockN3Server } from '../../helpers/mock-n3-server.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makePki(dir: string): void {
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=test N3 CA',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      ...(name === 'server' ? ['-extfile', 'san.ext'] : []),
    );
  }
}

const request = { idempotencyKey: '00000000-0000-4000-8000-000000000001', body: '{"deviceId":"00-DB-AA-00-00-00-00-01"}' };

describe.skipIf(!hasOpenssl())('N3 over mTLS (openssl makes the certificates)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-mtls-'));
  let server: MockN3Server;
  beforeAll(async () => {
    makePki(dir);
    const pem = (f: string) => readFileSync(join(dir, f));
    server = new MockN3Server({ tls: { key: pem('server.key'), cert: pem('server.pem'), ca: pem('ca.pem') } });
    await server.up();
  });
  afterAll(() => server.down());

  it('delivers with the client certificate, key and CA from the config files', async () => {
    writeFileSync(join(dir, 'flashd.json'), '{}');
    const { upstream } = validateConfig(
      { upstream: { mode: 'n3', n3: { url: server.url, tls: { certFile: 'client.pem', keyFile: 'client.key', caFile: 'ca.pem' } } } },
      't',
    );
    const transport = new N3HttpTransport(await loadN3Transport(upstream, join(dir, 'flashd.json')));
    const answer = await transport.send(request, new AbortController().signal);
    transport.close();
    expect(answer).toMatchObject({ kind: 'response', status: 201 });
    expect(server.acceptedKeys).toEqual(new Set([request.idempotencyKey]));
  });

  it('gets no answer without a client certificate, or without trusting the server CA', async () => {
    const noCert = new N3HttpTransport({ url: server.url, tls: { ca: readFileSync(join(dir, 'ca.pem')) } });
    const noCa = new N3HttpTransport({ url: server.url, tls: { cert: readFileSync(join(dir, 'client.pem')), key: readFileSync(join(dir, 'client.key')) } });
    for (const transport of [noCert, noCa]) {
      expect(await transport.send({ ...request, idempotencyKey: '00000000-0000-4000-8000-000000000002' }, new AbortController().signal)).toMatchObject({
        kind: 'error',
      });
      transport.close();
    }
  });
});
