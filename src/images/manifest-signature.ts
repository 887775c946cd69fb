import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FlashdError } from '../domain/errors.js';

/** Ed25519 signatures are always 64 bytes. */
const ED25519_SIGNATURE_BYTES = 64;

async function readTrustedKey(file: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new FlashdError('TRUSTED_KEY_INVALID', `cannot read trusted key ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new FlashdError('TRUSTED_KEY_INVALID', `trusted key ${file} is not a PEM public key: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new FlashdError('TRUSTED_KEY_INVALID', `trusted key ${file} is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`, { details: { file } });
  }
  return key;
}

/**
 * Verifies the detached base64 Ed25519 signature of the exact manifest bytes against each trusted
 * key in turn; one match is enough, so a key can be rotated by trusting old and new together.
 * Every key file must be readable and Ed25519: a broken key file is a configuration error, not a
 * key that silently never matches.
 */
export async function verifyManifestSignature(options: {
  manifestFile: string;
  manifestBytes: Uint8Array;
  signatureFile: string;
  trustedKeyFiles: readonly string[];
}): Promise<void> {
  const { manifestFile, manifestBytes, signatureFile, trustedKeyFiles } = options;
  const keys = await Promise.all(trustedKeyFiles.map(readTrustedKey));
  const tried = trustedKeyFiles.join(', ');
  let text: string;
  try {
    text = (await readFile(signatureFile, 'utf8')).trim();
  } catch (err) {
    throw new FlashdError('MANIFEST_SIGNATURE_INVALID', `cannot read signature ${signatureFile} of ${manifestFile}: ${(err as Error).message}`, {
      cause: err,
      details: { file: manifestFile, signatureFile, trustedKeyFiles },
    });
  }
  const signature = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new FlashdError('MANIFEST_SIGNATURE_INVALID', `${signatureFile} is not a base64 Ed25519 signature (${ED25519_SIGNATURE_BYTES} bytes)`, {
      details: { file: manifestFile, signatureFile, trustedKeyFiles },
    });
  }
  if (keys.some((key) => verify(null, manifestBytes, key, signature))) return;
  throw new FlashdError('MANIFEST_SIGNATURE_INVALID', `signature ${signatureFile} of ${manifestFile} does not verify with any trusted key (tried ${tried})`, {
    details: { file: manifestFile, signatureFile, trustedKeyFiles },
  });
}
