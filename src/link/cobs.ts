/**
 * Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so 0x00 can delimit frames.
 * Overhead is at most 1 byte per 254 plus one (≤0.4%), against up to 2× for SLIP escaping.
 */
export function cobsEncode(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(input.length + Math.ceil(input.length / 254) + 1);
  let codeIndex = 0;
  let code = 1;
  let o = 1;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 0) {
      out[codeIndex] = code;
      codeIndex = o++;
      code = 1;
    } else {
      out[o++] = byte;
      code++;
      if (code === 0xff) {
        out[codeIndex] = code;
        // A full block at the very end needs no further code byte (minimal encoding).
        if (i === input.length - 1) return out.subarray(0, o);
        codeIndex = o++;
        code = 1;
      }
    }
  }
  out[codeIndex] = code;
  return out.subarray(0, o);
}

/** Decodes one COBS block (without its 0x00 delimiter); returns undefined if the block is malformed. */
export function cobsDecode(input: Uint8Array): Buffer | undefined {
  const out = Buffer.allocUnsafe(input.length);
  let i = 0;
  let o = 0;
  while (i < input.length) {
    const code = input[i]!;
    if (code === 0 || i + code > input.length) return undefined;
    for (let k = 1; k < code; k++) {
      const byte = input[i + k]!;
      if (byte === 0) return undefined;
      out[o++] = byte;
    }
    i += code;
    if (code !== 0xff && i < input.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
