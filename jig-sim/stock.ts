import { createHash } from 'node:crypto';
import { DEVICE_MODELS, type DeviceModelDefinition } from '../firmware-images/models.js';
import { deviceIdFromBytes, firmwareVersionFromNumber, type FirmwareVersion } from '../src/domain/identifiers.js';
import { demoMasterKey } from './demo-keys.js';
import type { HubSpec } from './virtual-hub.js';

export interface StockOptions {
  /** Seed string: the same seed gives the same hubs. */
  seed: string;
  count: number;
  /** Versions behind the latest (1 = N-1). Hubs in MP155 scope are N-4 or older. Default 4..7. */
  minVersionsBehind?: number;
  maxVersionsBehind?: number;
  masterKey?: (manufacturer: string) => Uint8Array;
}

/**
 * Deterministic stock of hubs waiting to be re-flashed: models in rotation, Device IDs and
 * hardware versions from the seed, firmware a few versions behind the latest, SMI status Pending.
 */
export function generateStock(options: StockOptions): HubSpec[] {
  const minBehind = options.minVersionsBehind ?? 4;
  const maxBehind = options.maxVersionsBehind ?? 7;
  return Array.from({ length: options.count }, (_, i) => {
    const model = DEVICE_MODELS[i % DEVICE_MODELS.length]!;
    const h = createHash('sha256').update(`${options.seed}/${i}`).digest();
    const chf = Buffer.from([0x00, 0xdb, 0x12, h[0]!, h[1]!, h[2]!, h[3]!, h[4]! & 0xfe]);
    const gpf = Buffer.from(chf);
    gpf[7] = chf[7]! | 0x01;
    const behind = minBehind + (h[5]! % (maxBehind - minBehind + 1));
    return {
      deviceId: deviceIdFromBytes(chf),
      gpfDeviceId: deviceIdFromBytes(gpf),
      manufacturer: model.manufacturer,
      model: model.model,
      hardwareVersion: model.hardwareMin + (h[6]! % (model.hardwareMax - model.hardwareMin + 1)),
      firmwareVersion: olderVersion(model, behind),
      smiStatus: 'Pending',
      masterKey: (options.masterKey ?? demoMasterKey)(model.manufacturer),
    };
  });
}

export function olderVersion(model: DeviceModelDefinition, behind: number): FirmwareVersion {
  return firmwareVersionFromNumber(Number.parseInt(model.latestVersion, 16) - behind);
}
