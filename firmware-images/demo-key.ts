import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';

/** The text whose SHA-256 is the demo key seed. Anyone can derive the key: it proves nothing in production. */
export const DEMO_KEY_SEED_TEXT = 'flashd demo manifest signing key - not for production';

/** PKCS#8 DER prefix for a raw 32-byte Ed25519 private key (RFC 8410 §7). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The demo manifest signing key, derived from a fixed seed so the committed signature is
 * reproducible and no private key file sits in the repository. Production benches trust the real
 * key instead (config `trustedKeyFiles`).
 */
export function demoSigningKey(): KeyObject {
  const seed = createHash('sha256').update(DEMO_KEY_SEED_TEXT, 'utf8').digest();
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** SPKI PEM of a key's public half, as `firmware-images/keys/demo-signing.pub.pem` holds it. */
export function publicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** Base64 Ed25519 signature over the exact manifest bytes: the content of `manifest.json.sig`. Deterministic. */
export function signManifest(bytes: Uint8Array, key: KeyObject): string {
  return sign(null, bytes, key).toString('base64');
}
