import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../src/link/frame.js';
import { cobsDecode } from '../../../src/link/cobs.js';
import { FrameParser } from '../../../src/link/frame-parser.js';
import { decodeMessage, encodeMessage, MSG, type HubMessage } from '../../../src/session/hub-messages.js';
import { formatCommand, formatError, formatEvent, formatOk, parseCommandLine, parseJigLine, type JigEventName } from '../../../src/jig/control-protocol.js';
import { docJsonBlocks } from '../../helpers/doc-blocks.js';

interface HubVector {
  seq: number;
  message: Record<string, unknown>;
  frame: string;
  wire: string;
}
interface JigVector {
  direction: 'host→jig' | 'jig→host';
  line: string;
  parsed: Record<string, unknown>;
}

const hubVectors = docJsonBlocks<HubVector>('protocol.md', 'hub-vectors');
const jigVectors = docJsonBlocks<JigVector>('protocol.md', 'jig-vectors');

function toMessage(json: Record<string, unknown>): HubMessage {
  const entries = Object.entries(json).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('hex:') ? Buffer.from(v.slice(4), 'hex') : v]);
  return Object.fromEntries(entries) as HubMessage;
}

describe('docs/protocol.md hub link vectors', () => {
  it('cover every message type', () => {
    expect(hubVectors.length).toBeGreaterThanOrEqual(Object.keys(MSG).length);
    const kinds = new Set(hubVectors.map((v) => v.message.kind));
    for (const kind of Object.keys(MSG)) expect(kinds, kind).toContain(kind);
  });

  it.each(hubVectors.map((v) => [v.message.kind as string, v] as const))('%s encodes to the documented bytes', (_kind, vector) => {
    const wire = encodeFrame(encodeMessage(toMessage(vector.message), vector.seq));
    expect(wire.toString('hex')).toBe(vector.wire);
    expect(cobsDecode(wire.subarray(0, -1))!.toString('hex')).toBe(vector.frame);
  });

  it.each(hubVectors.map((v) => [v.message.kind as string, v] as const))('%s decodes from the documented bytes', (_kind, vector) => {
    const frames: ReturnType<typeof decodeFrame>[] = [];
    new FrameParser().feed(Buffer.from(vector.wire, 'hex'), (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.seq).toBe(vector.seq);
    expect(decodeMessage(frames[0]!)).toEqual(toMessage(vector.message));
  });
});

describe('docs/protocol.md jig control vectors', () => {
  it('cover every command and event', () => {
    const lines = jigVectors.map((v) => v.line);
    for (const word of ['INFO', 'STATUS', 'LED', 'POWER', '!PRESENT', '!REMOVED', '!BUTTON', '!POWERFAULT', '!READY', 'ERR']) {
      expect(
        lines.some((l) => l.includes(word)),
        word,
      ).toBe(true);
    }
  });

  it.each(jigVectors.map((v) => [v.line, v] as const))('%s parses and formats back', (line, vector) => {
    if (vector.direction === 'host→jig') {
      const parsed = parseCommandLine(line);
      expect(parsed).toEqual(vector.parsed);
      expect(formatCommand(parsed)).toBe(`${line}\r\n`);
      return;
    }
    const parsed = parseJigLine(`${line}\r\n`);
    expect(parsed).toEqual(vector.parsed);
    const formatted =
      parsed.kind === 'ok'
        ? formatOk(parsed.seq, parsed.fields)
        : parsed.kind === 'error'
          ? formatError(parsed.seq, parsed.code, parsed.text)
          : formatEvent(parsed.name as JigEventName, parsed.fields);
    expect(formatted).toBe(`${line}\r\n`);
  });
});
