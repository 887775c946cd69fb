import { createHmac } from 'node:crypto';

/**
 * Unlock crypto of the reference hub protocol. Each hub's unlock key is derived from its
 * manufacturer's master key and its CHF Device ID, so a leaked hub key opens one hub only; the
 * response binds the hub's fresh nonce to both of its Device IDs so it cannot be replayed.
 */
export function deriveHubKey(manufacturerMasterKey: Uint8Array, deviceId: Uint8Array): Buffer {
  return createHmac('sha256', manufacturerMasterKey).update('flashd-unlock-v1').update(deviceId).digest();
}

export function unlockResponse(hubKey: Uint8Array, nonce: Uint8Array, deviceId: Uint8Array, gpfDeviceId: Uint8Array): Buffer {
  return createHmac('sha256', hubKey).update(nonce).update(deviceId).update(gpfDeviceId).digest();
}
