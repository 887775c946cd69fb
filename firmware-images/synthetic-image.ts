import { createHash } from 'node:crypto';
import { encodeOtaHeader } from '../src/images/ota-header.js';
import { OTA_SUB_ELEMENT_HEADER_BYTES, OTA_TAG_ECDSA_SIGNATURE, OTA_TAG_UPGRADE_IMAGE } from '../src/images/ota-sub-elements.js';
import type { DeviceModelDefinition } from './models.js';

/** ZigBee OTA header version 0x0100 and ZigBee PRO stack (2), as real hub images carry. */
const HEADER_VERSION = 0x0100;
const ZIGBEE_PRO_STACK = 0x0002;
/** Field control 0x0004: hardware bounds only, so the header is 56 + 4 bytes. */
const HEADER_BYTES = 60;
/** The signature value is 42 bytes: r and s of an ECDSA sect163k1 signature, 21 bytes each. */
const SIGNATURE_BYTES = 42;
const OVERHEAD_BYTES = HEADER_BYTES + 2 * OTA_SUB_ELEMENT_HEADER_BYTES + SIGNATURE_BYTES;
/** Bodies fall in 200..310 KiB, keeping files inside the 192..320 KiB of real hub images. */
const MIN_BODY_BYTES = 200 * 1024;
const BODY_SPAN_BYTES = 110 * 1024;
/**
 * Manufacturers whose images ship encrypted and so do not compress; the others ship plain code.
 * Both kinds occur among real OTA files (test/fixtures/ota-samples/README.md), and a compressed
 * transfer must help the second kind without slowing the first.
 */
const ENCRYPTED_MANUFACTURERS = new Set(['1086']);
/**
 * Code-like bodies: tokens drawn from a fixed vocabulary with a skewed rank distribution (rank
 * ~ u^2.5), plus random 4-byte literals. Tuned to a raw-deflate ratio of about 0.72-0.76, the
 * median of real compressible OTA files.
 */
const VOCABULARY_SIZE = 512;
const LITERAL_PROBABILITY = 0.2;

/**
 * u^2.5 from operations IEEE 754 rounds exactly (`*`, `sqrt`); `**` with a fractional exponent is
 * left to the engine and could change the bytes between Node versions.
 */
function skewedRank(u: number): number {
  return Math.floor(VOCABULARY_SIZE * u * u * Math.sqrt(u));
}

/** Deterministic byte stream: SHA-256 of `seed:counter`, block after block. Not for secrets. */
export class HashCounterStream {
  readonly #seed: string;
  #counter = 0;
  #block: Buffer = Buffer.alloc(0);
  #position = 0;

  constructor(seed: string) {
    this.#seed = seed;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    let filled = 0;
    while (filled < n) {
      if (this.#position === this.#block.length) {
        this.#block = createHash('sha256').update(`${this.#seed}:${this.#counter++}`).digest();
        this.#position = 0;
      }
      const take = Math.min(n - filled, this.#block.length - this.#position);
      this.#block.copy(out, filled, this.#position, this.#position + take);
      filled += take;
      this.#position += take;
    }
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  /** Uniform in [0, 1). */
  unit(): number {
    return this.uint32() / 2 ** 32;
  }
}

function codeLikeBody(stream: HashCounterStream, size: number): Buffer {
  const vocabulary = Array.from({ length: VOCABULARY_SIZE }, () => stream.bytes(stream.uint32() % 2 === 0 ? 2 : 4));
  const out = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) {
    const token = stream.unit() < LITERAL_PROBABILITY ? stream.bytes(4) : vocabulary[skewedRank(stream.unit())];
    if (!token) throw new Error('vocabulary index out of range');
    filled += token.copy(out, filled, 0, Math.min(token.length, size - filled));
  }
  return out;
}

function subElement(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(OTA_SUB_ELEMENT_HEADER_BYTES);
  head.writeUInt16LE(tag, 0);
  head.writeUInt32LE(value.length, 2);
  return Buffer.concat([head, value]);
}

/** `1086-0101030B-0002012F.ota`: manufacturer, model and version, so a directory listing is self-explaining. */
export function syntheticImageFileName(definition: DeviceModelDefinition): string {
  return `${definition.manufacturer}-${definition.model}-${definition.latestVersion}.ota`;
}

/**
 * Builds the synthetic production image of a model: OTA header (hardware bounds set; image type is
 * the model's upper 16 bits, since the 8-hex model does not fit the u16 field), the body as an
 * upgrade-image sub-element, then a 42-byte synthetic signature sub-element. Every byte follows
 * from the model, so reruns are byte-identical.
 */
export function buildSyntheticImage(definition: DeviceModelDefinition): Buffer {
  const name = `${definition.manufacturer} ${definition.model}`;
  const stream = new HashCounterStream(`flashd synthetic body ${name} ${definition.latestVersion}`);
  const bodySize = MIN_BODY_BYTES + (stream.uint32() % BODY_SPAN_BYTES);
  const body = ENCRYPTED_MANUFACTURERS.has(definition.manufacturer) ? stream.bytes(bodySize) : codeLikeBody(stream, bodySize);
  const header = encodeOtaHeader({
    headerVersion: HEADER_VERSION,
    manufacturerCode: Number.parseInt(definition.manufacturer, 16),
    imageType: Number.parseInt(definition.model.slice(0, 4), 16),
    fileVersion: Number.parseInt(definition.latestVersion, 16),
    zigbeeStackVersion: ZIGBEE_PRO_STACK,
    headerString: `flashd synthetic ${name}`,
    totalImageSize: OVERHEAD_BYTES + bodySize,
    hardwareMin: definition.hardwareMin,
    hardwareMax: definition.hardwareMax,
  });
  const signed = Buffer.concat([header, subElement(OTA_TAG_UPGRADE_IMAGE, body)]);
  const digest = createHash('sha256').update(signed).digest('hex');
  const signature = new HashCounterStream(`flashd synthetic signature ${digest}`).bytes(SIGNATURE_BYTES);
  return Buffer.concat([signed, subElement(OTA_TAG_ECDSA_SIGNATURE, signature)]);
}
