import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A status-API client in its own process, as a dashboard would be: `GET <url>` one request at a
 * time, `intervalMs` apart, until told to stop; then it sends back each request's start
 * (`Date.now()`) and answer time in ms. Usage: fork with argv [url, intervalMs, expectedItems].
 */
const [url, interval, expected] = process.argv.slice(2);
const samples: Array<{ at: number; ms: number }> = [];
let stopping = false;
process.on('message', () => (stopping = true));
while (!stopping) {
  const at = Date.now();
  const started = performance.now();
  const response = await fetch(url!);
  const body = (await response.json()) as { items?: unknown[] };
  const ms = performance.now() - started;
  const count = Array.isArray(body.items) ? body.items.length : 0;
  if (!response.ok || count !== Number(expected)) {
    process.send?.({ error: `GET ${url} answered ${response.status} with ${count} items, expected ${expected}` });
    process.exit(1);
  }
  samples.push({ at, ms });
  await sleep(Number(interval));
}
process.send?.({ samples }, () => process.exit(0));
