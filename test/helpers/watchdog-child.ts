import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { openNotifySocket, watchdogIntervalMs } from '../../src/daemon/sd-notify.js';
import { Supervision } from '../../src/daemon/supervision.js';
import { openDatabase } from '../../src/store/open-database.js';
import { createStores } from '../../src/store/stores.js';

/**
 * The watchdog on a real store and a real notification socket, whose main event loop then blocks
 * for BLOCK_MS (a synchronous spin, as a runaway loop or a stuck native call would). Marks the
 * block in the socket's own stream (X_FLASHD_TEST=block-start/-end), runs on a little, says "done".
 */
const db = openDatabase(process.argv[2]!);
const stores = createStores(db, { maxAttempts: 3, sinks: [] });
const socket = openNotifySocket()!;
const watchdogMs = watchdogIntervalMs()!;
const supervision = new Supervision({
  sink: socket.sink,
  facts: { jigs: () => [{ id: 'J1', connected: true }], activeSessions: () => 0, pendingN3: () => stores.outbox.summary().pending },
  watchdogMs,
  log: pino({ level: 'warn' }),
});
supervision.ready();
await sleep(watchdogMs);
socket.sink('X_FLASHD_TEST=block-start');
const until = Date.now() + Number(process.env.BLOCK_MS);
while (Date.now() < until) {
  /* spin: the event loop is blocked */
}
socket.sink('X_FLASHD_TEST=block-end');
await sleep(watchdogMs);
supervision.stop();
socket.close();
db.close();
process.stdout.write('done\n');
