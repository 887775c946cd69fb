import { FlashdError } from '../domain/errors.js';
import type { OtaHeader } from './ota-header.js';

/** Tag of the sub-element that carries the manufacturer's image (ZCL spec §11.4.3). */
export const OTA_TAG_UPGRADE_IMAGE = 0x0000;
/** Tag of the ECDSA signature sub-element that GBCS images carry after the image. */
export const OTA_TAG_ECDSA_SIGNATURE = 0x0001;
/** Each sub-element starts with a u16 tag and a u32 length, little-endian. */
export const OTA_SUB_ELEMENT_HEADER_BYTES = 6;

/** One sub-element; `offset` is where its value starts (after tag and length), `length` its size. */
export interface OtaSubElement {
  tag: number;
  offset: number;
  length: number;
}

/**
 * Walks the sub-elements from the end of the header to `header.totalImageSize`. Refuses a file
 * shorter than the header says, a tag/length cut off at the end, and a value that runs past the
 * end: any of those means the image would reach the hub truncated. Bytes after the total image
 * size are not walked.
 */
export function parseOtaSubElements(buf: Uint8Array, header: OtaHeader): OtaSubElement[] {
  const end = header.totalImageSize;
  if (buf.length < end) {
    throw new FlashdError('OTA_HEADER_INVALID', `total image size is ${end} but only ${buf.length} bytes are present (at offset ${buf.length})`, {
      details: { offset: buf.length },
    });
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const elements: OtaSubElement[] = [];
  let offset = header.headerLength;
  while (offset < end) {
    if (end - offset < OTA_SUB_ELEMENT_HEADER_BYTES) {
      const left = end - offset;
      throw new FlashdError(
        'OTA_HEADER_INVALID',
        `sub-element header cut off: ${left} byte${left === 1 ? '' : 's'} left before the end at ${end} (at offset ${offset})`,
        {
          details: { offset },
        },
      );
    }
    const tag = view.getUint16(offset, true);
    const length = view.getUint32(offset + 2, true);
    const valueOffset = offset + OTA_SUB_ELEMENT_HEADER_BYTES;
    if (length > end - valueOffset) {
      throw new FlashdError(
        'OTA_HEADER_INVALID',
        `sub-element tag 0x${tag.toString(16).padStart(4, '0')} of ${length} bytes runs past the end at ${end} (at offset ${offset})`,
        { details: { offset, tag, length } },
      );
    }
    elements.push({ tag, offset: valueOffset, length });
    offset = valueOffset + length;
  }
  return elements;
}

/**
 * The one upgrade-image sub-element (tag 0x0000) of a file: what the hub is meant to run. A file
 * without one, with an empty one or with two would give the hub nothing, or an ambiguous image,
 * to flash, however well formed its header is.
 */
export function upgradeImageOf(elements: readonly OtaSubElement[], header: Pick<OtaHeader, 'headerLength'>): OtaSubElement {
  const images = elements.filter((e) => e.tag === OTA_TAG_UPGRADE_IMAGE);
  if (images.length !== 1) {
    // Where the offending sub-element starts: the second image, or the first sub-element (or where it would be).
    const at = (images[1] ?? elements[0])?.offset === undefined ? header.headerLength : (images[1] ?? elements[0])!.offset - OTA_SUB_ELEMENT_HEADER_BYTES;
    const found = images.length === 0 ? 'none' : `${images.length}`;
    throw new FlashdError('OTA_HEADER_INVALID', `an OTA file needs exactly one upgrade image sub-element (tag 0x0000), found ${found} (at offset ${at})`, {
      details: { offset: at, tag: OTA_TAG_UPGRADE_IMAGE, count: images.length },
    });
  }
  const image = images[0]!;
  if (image.length === 0) {
    const at = image.offset - OTA_SUB_ELEMENT_HEADER_BYTES;
    throw new FlashdError('OTA_HEADER_INVALID', `the upgrade image sub-element (tag 0x0000) is empty (at offset ${at})`, {
      details: { offset: at, tag: OTA_TAG_UPGRADE_IMAGE },
    });
  }
  return image;
}
