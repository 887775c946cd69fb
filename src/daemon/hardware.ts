import type { Logger } from 'pino';
import type { Config, JigConfig } from '../config/schema.js';
import type { ImageCatalog } from '../images/catalog.js';
import type { InProcessLines } from '../link/open-link.js';
import type { Stores } from '../store/stores.js';

/** The jigs a daemon drives, and what it must do with them around the bench's life. */
export interface Hardware {
  jigs: JigConfig[];
  /** Opens `sim://` lines in this process (the built-in simulator only). */
  inProcess?: InProcessLines | undefined;
  /**
   * Called once nothing else can refuse the start, before the bench starts: stores what the
   * hardware needs on record (the simulator's demo work order). A refused start never calls it.
   */
  commit(): void;
  close(): Promise<void>;
}

/** What a hardware factory may use: the open store and the verified catalogue. */
export interface HardwareContext {
  config: Readonly<Config>;
  stores: Stores;
  catalog: ImageCatalog;
  log: Logger;
  signal: AbortSignal;
}

export type HardwareFactory = (context: HardwareContext) => Promise<Hardware>;

/** The jigs of the config file, as a bench PC has them: nothing to start, nothing to store. */
export const configuredJigs: HardwareFactory = async ({ config }) => ({
  jigs: [...config.jigs],
  commit: () => {},
  close: async () => {},
});
