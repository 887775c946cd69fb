import type { Db } from './open-database.js';

type Runner = (body: () => unknown) => unknown;

const runners = new WeakMap<Db, Runner>();

/**
 * Runs `body` in a transaction of `db` (a savepoint when one is already open), committing when it
 * returns and rolling back when it throws. One better-sqlite3 transaction function per connection,
 * made once: `db.transaction(fn)` builds five wrapper functions each time it is called, which on a
 * session's hot path cost more than the statements they wrap.
 */
export function inTransaction<T>(db: Db, body: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((inner: () => unknown) => inner());
    runners.set(db, run);
  }
  return run(body) as T;
}
