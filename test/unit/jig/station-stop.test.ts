import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { JigStation } from '../../../src/bench/jig-station.js';
import { validateConfig } from '../../../src/config/load-config.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { backoffDelayMs, DEFAULT_JIG_RECONNECT, DEFAULT_SLOT_RECONNECT } from '../../../src/domain/backoff.js';
import { isFlashdError } from '../../../src/domain/errors.js';
import { ImageCatalog } from '../../../src/images/catalog.js';
import { JigController } from '../../../src/jig/jig-controller.js';
import { createDuplexPair } from '../../../src/link/duplex-pair.js';
import { openLink } from '../../../src/link/open-link.js';

/** Far longer than any bound below: a stop that waited for a timeout could not pass. */
const SLOW_MS = 60_000;
/** A generous bound for "at once" on a loaded CI host; the old stop waited the 5 s connect timeout. */
const AT_ONCE_MS = 2500;

const log = pino({ level: 'silent' });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A ser2net host whose TCP connect hangs, on 127.0.0.1: a listener in a child process that stops
 * accepting (its event loop blocked), with its accept queue filled, so the kernel drops further SYNs.
 */
async function hangingHost(): Promise<number> {
  const code = `const s=require('node:net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{process.stdout.write(s.address().port+'\\n');setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,${SLOW_MS}),20)})`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 16; i++) {
    const filler: Socket = connect({ host: '127.0.0.1', port });
    cleanups.push(() => filler.destroy());
    const connected = await Promise.race([once(filler, 'connect').then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 500))]);
    if (!connected) return port;
  }
  throw new Error('the accept queue never filled: connects to the test host do not hang');
}

/** A listener that accepts and never says a word (a jig that hangs, or ser2net with nothing behind it). */
async function silentHost(): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => void sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return (server.address() as { port: number }).port;
}

function station(port: number): JigStation {
  const s = new JigStation({
    config: { id: 'J', control: `socket://127.0.0.1:${port}`, slots: Array.from({ length: 8 }, () => `socket://127.0.0.1:${port}`), baudRate: 115_200 },
    log,
    jigTimeoutMs: SLOW_MS,
  });
  cleanups.push(() => s.stop());
  return s;
}

async function elapsedMs(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

describe('stopping a jig station', () => {
  it('returns at once while the connect to an unreachable ser2net host hangs', async () => {
    const s = station(await hangingHost());
    const started = s.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(await elapsedMs(() => s.stop())).toBeLessThan(AT_ONCE_MS);
    await started;
    expect(s.connected).toBe(false);
  });

  it('returns at once while a connected jig never answers INFO', async () => {
    const s = station(await silentHost());
    const started = s.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(await elapsedMs(() => s.stop())).toBeLessThan(AT_ONCE_MS);
    await started;
  });

  it('stops when the signal given to start() aborts', async () => {
    const s = station(await hangingHost());
    const abort = new AbortController();
    const started = s.start({ signal: abort.signal });
    await new Promise((r) => setTimeout(r, 100));
    abort.abort('shutdown');
    expect(await elapsedMs(() => started)).toBeLessThan(AT_ONCE_MS);
    expect(s.connected).toBe(false);
  });
});

describe('one way to cancel', () => {
  it('openLink ends a TCP connect with ABORTED when its signal fires', async () => {
    const port = await silentHost();
    const abort = new AbortController();
    const opening = openLink(`socket://127.0.0.1:${port}`, { baudRate: 115_200, signal: abort.signal });
    abort.abort('stop');
    const err = await opening.then(
      (link) => link.close().then(() => 'opened'),
      (e: unknown) => e,
    );
    expect(isFlashdError(err, 'ABORTED')).toBe(true);
    expect(String((err as Error).message)).toMatch(/127\.0\.0\.1.*cancelled \(stop\)/);
  });

  it('a jig request ends with ABORTED, not after its timeout and retries', async () => {
    const [host] = createDuplexPair();
    const link = { url: 'sim://J/control', stream: host, setBaudRate: async () => {}, close: async () => void host.destroy() };
    const controller = new JigController({ jigId: 'J', link, log, timeoutMs: SLOW_MS });
    cleanups.push(() => controller.close());
    const abort = new AbortController();
    const asking = controller.status({ signal: abort.signal }).catch((e: unknown) => e);
    abort.abort('stop');
    const err = await asking;
    expect(isFlashdError(err, 'ABORTED')).toBe(true);
    expect(await controller.info({ signal: abort.signal }).catch((e: unknown) => e)).toMatchObject({ code: 'ABORTED' });
  });

  it('the image catalogue load stops with ABORTED, returning no catalogue', async () => {
    const abort = new AbortController();
    abort.abort('stop');
    const dir = join(PACKAGE_ROOT, 'firmware-images');
    const loading = ImageCatalog.load({ dir, trustedKeyFiles: [join(dir, 'keys/demo-signing.pub.pem')], signal: abort.signal });
    await expect(loading).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('jig reconnect policy', () => {
  it('is data in the config, with the backoffs the stations used before as defaults', () => {
    const config = validateConfig({}, 'test');
    expect(config.jigReconnect).toEqual({ control: { ...DEFAULT_JIG_RECONNECT }, slot: { ...DEFAULT_SLOT_RECONNECT } });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(config.jigReconnect.control, n))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 3].map((n) => backoffDelayMs(config.jigReconnect.slot, n))).toEqual([250, 500, 1000]);
    const tuned = validateConfig({ jigReconnect: { control: { minDelayMs: 100, factor: 3 } } }, 'test');
    expect([1, 2, 3].map((n) => backoffDelayMs(tuned.jigReconnect.control, n))).toEqual([100, 300, 900]);
  });

  it('refuses a minimum above the cap, naming the key', () => {
    expect(() => validateConfig({ jigReconnect: { slot: { minDelayMs: 20_000, maxDelayMs: 1000 } } }, 'test')).toThrow(
      /\/jigReconnect\/slot: minDelayMs is greater than maxDelayMs/,
    );
  });
});
