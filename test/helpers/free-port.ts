import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux's range for ephemeral ports (`bind` to port 0), or its default where it cannot be read. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux: the default range
  }
  return [32768, 60999];
}

function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 that is free now, for a child process that must keep its address across
 * restarts (a daemon the test stops and starts again). It lies below the ephemeral range: a port
 * taken with `listen(0)` and released would be handed out again to the next `listen(0)` of the
 * same child (its simulator's lines start before its API), which then finds its own port taken.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  for (let tries = 0; tries < 200; tries++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${floor} and ${low} on 127.0.0.1 after 200 tries`);
}
