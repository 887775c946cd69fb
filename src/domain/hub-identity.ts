import type { DeviceId, FirmwareVersion } from './identifiers.js';

/** What a hub says about itself when identified over its link. */
export interface HubIdentity {
  deviceId: DeviceId;
  gpfDeviceId: DeviceId;
  /** ZigBee manufacturer code, 4 hex digits. */
  manufacturer: string;
  /** Device Model, 8 hex digits. */
  model: string;
  hardwareVersion: number;
  firmwareVersion: FirmwareVersion;
  locked: boolean;
}
