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
      throw new FlashdError('OTA_HEADER_INVALID', `sub-element header cut off: ${end - offset} bytes left before the end at ${end} (at offset ${offset})`, {
        details: { offset },
      });
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
