import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, reflected, init and final XOR 0xFFFFFFFF), the same as zlib and Ethernet.
 * Check value: crc32("123456789") = 0xCBF43926. Uses zlib's native implementation (Node ≥20.15).
 */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlibCrc32(data, previous) >>> 0;
}
