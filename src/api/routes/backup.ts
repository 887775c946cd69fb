import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { backupStore } from '../../store/backup.js';
import type { ApiDeps } from '../app.js';
import { ErrorBody } from '../schemas.js';

/**
 * `POST /api/v1/backup` (admin): an online copy of the store, taken by the daemon through its own
 * connection while flashing goes on (src/store/backup.ts), answered as the SQLite file itself.
 * The copy is written in the store's folder and unlinked once opened for sending: nothing is left
 * behind, and the client decides where it is kept (flashctl backup FILE). docs/operations.md.
 */
export const backupRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const store = deps.backup;
  if (!store) return;
  app.post('/backup', { config: { role: 'admin' }, schema: { response: { 500: ErrorBody } } }, async (request, reply) => {
    const temp = join(store.dir, `.flashd-backup-${process.pid}-${request.id}.db`);
    const facts = await backupStore(store.db, temp);
    const file = await open(temp, 'r');
    await rm(temp, { force: true });
    request.log.info({ bytes: facts.bytes, tookMs: facts.tookMs }, 'store backup sent');
    return (
      reply
        .header('content-type', 'application/vnd.sqlite3')
        .header('content-length', facts.bytes)
        .header('content-disposition', 'attachment; filename="flashd-backup.db"')
        // A streamed answer leaves a kept-alive connection that the server's close does not count as
        // idle, so a stop would wait on it; a backup is a one-off download: close after it.
        .header('connection', 'close')
        .send(file.createReadStream())
    );
  });
};
