import { randomBytes } from 'node:crypto';
import { rm, writeFile, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { backupStoreFile } from '../store/backup.js';
import { verifyBackup, type BackupCheck } from '../store/verify-backup.js';
import { UsageError, type Command, type CommandContext } from './commands.js';

const print = (ctx: CommandContext, value: unknown, human: () => string): void => {
  ctx.out(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : human());
};

const report = (check: BackupCheck): string => {
  const rows = Object.entries(check.rows)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const head = `${check.file}: ${check.ok ? 'OK' : 'BACKUP_INVALID'}, schema version ${check.schemaVersion ?? '?'}, integrity ${check.integrity}\n  rows: ${rows || 'none'}\n`;
  return head + check.problems.map((p) => `  problem: ${p}\n`).join('');
};

/** Writes `bytes` beside `file` and renames it into place: the file is the whole backup or untouched. */
async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/** The store's safety copies (docs/operations.md, "Backups"). */
export const STORE_COMMANDS: Record<string, Command> = {
  backup: {
    usage: 'backup <file> [--store PATH]   (online copy through the API, admin; --store: read the store file directly, as its user)',
    run: async (ctx) => {
      const file = ctx.args[0];
      if (!file) throw new UsageError('backup needs the file to write');
      const store = typeof ctx.options.store === 'string' ? ctx.options.store : undefined;
      if (store && resolve(store) === resolve(file)) throw new UsageError('the backup file must not be the store itself');
      if (store) await backupStoreFile(store, file);
      else await writeWhole(file, await ctx.api.bytes('/backup'));
      const check = verifyBackup(file);
      print(ctx, check, () => report(check));
      return check.ok ? 0 : 1;
    },
  },
  'verify-backup': {
    usage: 'verify-backup <file>   (integrity, schema version, every row readable; exit 1 if not sound)',
    run: (ctx) => {
      const file = ctx.args[0];
      if (!file) throw new UsageError('verify-backup needs the backup file');
      const check = verifyBackup(file);
      print(ctx, check, () => report(check));
      return Promise.resolve(check.ok ? 0 : 1);
    },
  },
};
