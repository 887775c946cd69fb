import { prepareBlocks, type PreparedBlocks } from '../session/image-blocks.js';

/** What the cache has done, for tests and metrics: one preparation per (image, block size, mode). */
export interface BlockCacheStats {
  /** Preparations started (each deflates every block of one image once). */
  prepared: number;
  /** Requests answered from the cache, including ones that waited for a preparation under way. */
  hits: number;
}

/**
 * The image versions' wire blocks, prepared once per (image SHA-256, block size, coding) and
 * shared with every session in every worker thread (ARCHITECTURE.md: "deflated once per image
 * version, then shared with sessions, not copied per session"). Sessions that ask while a
 * preparation runs wait for the same promise. A failed preparation is forgotten so the next hub
 * tries again. Entries are few (catalogue images × block sizes hubs ask for) and live as long as
 * the catalogue.
 */
export class BlockCache {
  readonly stats: BlockCacheStats = { prepared: 0, hits: 0 };
  readonly #entries = new Map<string, Promise<PreparedBlocks>>();

  get(image: { sha256: string; data: Uint8Array }, blockBytes: number, deflate: boolean, dictionary = false): Promise<PreparedBlocks> {
    const mode = deflate ? (dictionary ? 'deflate-dictionary' : 'deflate') : 'raw';
    const key = `${image.sha256}:${blockBytes}:${mode}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    this.stats.prepared++;
    const prepared = prepareBlocks(image, blockBytes, deflate, dictionary);
    this.#entries.set(key, prepared);
    prepared.catch(() => this.#entries.delete(key));
    return prepared;
  }
}
