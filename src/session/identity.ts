import type { HubIdentity } from '../domain/hub-identity.js';
import { deviceIdFromBytes, firmwareVersionFromNumber, formatManufacturer, formatModel } from '../domain/identifiers.js';
import {
  IDENTITY_DEFLATE,
  IDENTITY_DEFLATE_DICTIONARY,
  IDENTITY_IMAGE_HELD,
  IDENTITY_LOCKED,
  IDENTITY_SELECTIVE,
  type IdentityPayload,
} from './hub-messages.js';
import type { HubCapabilities } from './session-types.js';

export function identityFromPayload(p: IdentityPayload): { identity: HubIdentity; capabilities: HubCapabilities } {
  return {
    identity: {
      deviceId: deviceIdFromBytes(p.deviceId),
      gpfDeviceId: deviceIdFromBytes(p.gpfDeviceId),
      manufacturer: formatManufacturer(p.manufacturer),
      model: formatModel(p.model),
      hardwareVersion: p.hardwareVersion,
      firmwareVersion: firmwareVersionFromNumber(p.firmwareVersion),
      locked: (p.flags & IDENTITY_LOCKED) !== 0,
    },
    capabilities: {
      protocolVersion: p.protocolVersion,
      maxBlockBytes: p.maxBlockBytes,
      maxWindow: p.maxWindow,
      maxBaudRate: p.maxBaudRate,
      deflate: (p.flags & IDENTITY_DEFLATE) !== 0,
      deflateDictionary: (p.flags & IDENTITY_DEFLATE) !== 0 && (p.flags & IDENTITY_DEFLATE_DICTIONARY) !== 0,
      imageHeld: (p.flags & IDENTITY_IMAGE_HELD) !== 0,
      selective: (p.flags & IDENTITY_SELECTIVE) !== 0,
    },
  };
}
