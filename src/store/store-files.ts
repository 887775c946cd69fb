import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a start created for the store, so a refused start can take it away again. */
export interface StoreFiles {
  /** Removes the store file, its WAL/SHM/journal and the folders that did not exist at the snapshot. */
  removeCreated(): void;
}

/**
 * Notes which of the store's files and folders exist before the store is opened. A start that is
 * refused later (API port taken, scenario missing) then leaves nothing behind; files and folders
 * that were there before are never touched.
 */
export function snapshotStoreFiles(path: string): StoreFiles {
  if (path === ':memory:' || existsSync(path)) return { removeCreated: () => {} };
  const files = [path, `${path}-wal`, `${path}-shm`, `${path}-journal`].filter((p) => !existsSync(p));
  const folders: string[] = [];
  for (let dir = dirname(path); !existsSync(dir) && dirname(dir) !== dir; dir = dirname(dir)) folders.push(dir);
  return {
    removeCreated: () => {
      for (const file of files) {
        try {
          rmSync(file, { force: true });
        } catch {
          // Never created (a file where the folder should be): nothing to take away.
        }
      }
      for (const dir of folders) {
        try {
          rmdirSync(dir); // only if empty: something else may have been put there meanwhile
        } catch {
          return;
        }
      }
    },
  };
}
