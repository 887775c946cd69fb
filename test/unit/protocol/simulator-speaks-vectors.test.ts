import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB_PROFILE, type HubTimingProfile } from '../../../jig-sim/hub-profile.js';
import { HubResponder } from '../../../jig-sim/hub-responder.js';
import { VirtualHub } from '../../../jig-sim/virtual-hub.js';
import { VirtualJig } from '../../../jig-sim/virtual-jig.js';
import { createDuplexPair } from '../../../src/link/duplex-pair.js';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';
import { docJsonBlocks } from '../../helpers/doc-blocks.js';

interface HubVector {
  seq: number;
  message: { kind: string } & Record<string, unknown>;
  wire: string;
}
interface JigVector {
  direction: string;
  line: string;
}

const hub = docJsonBlocks<HubVector>('protocol.md', 'hub-vectors');
const jig = docJsonBlocks<JigVector>('protocol.md', 'jig-vectors');
const vector = (kind: string) => hub.find((v) => v.message.kind === kind)!;
const vectors = (kind: string) => hub.filter((v) => v.message.kind === kind);

/** A simulated hub whose identity is the one in the IDENTITY vector. */
function vectorHub(running: string, profile: Partial<HubTimingProfile> = {}): { replies: Buffer[]; responder: HubResponder } {
  const replies: Buffer[] = [];
  const identity = vector('IDENTITY').message;
  const virtual = new VirtualHub(
    {
      deviceId: parseDeviceId('00-DB-12-34-56-78-9A-A0'),
      gpfDeviceId: parseDeviceId('00-DB-12-34-56-78-9A-A1'),
      manufacturer: '1086',
      model: '0101030B',
      hardwareVersion: identity.hardwareVersion as number,
      firmwareVersion: parseFirmwareVersion(running),
      smiStatus: 'Pending',
      masterKey: Buffer.alloc(32),
    },
    // No boot time: a powered-up hub boots for rebootMs before it answers, and this test is about bytes.
    // The vectors are a protocol 1.0 hub's (no dictionary deflate, flag 0x10); 1.1's DATA has its own (§2.6a).
    { ...DEFAULT_HUB_PROFILE, rebootMs: 0, deflateDictionary: false, ...profile },
  );
  return { replies, responder: new HubResponder(virtual, (bytes) => replies.push(Buffer.from(bytes))) };
}

async function ask(responder: HubResponder, replies: Buffer[], kind: string, nth = 0): Promise<string> {
  responder.receive(Buffer.from(vectors(kind)[nth]!.wire, 'hex'));
  for (let i = 0; i < 50 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
  return Buffer.concat(replies.splice(0)).toString('hex');
}

describe('the simulated hub answers the documented requests with the documented bytes', () => {
  it('IDENTIFY → IDENTITY', async () => {
    const { responder, replies } = vectorHub('0002012A');
    expect(await ask(responder, replies, 'IDENTIFY')).toBe(vector('IDENTITY').wire);
  });

  it('IDENTIFY → IDENTITY with selective resend, from a hub that keeps out-of-order blocks', async () => {
    const { responder, replies } = vectorHub('0002012A', { selectiveResend: true, maxWindow: 16 });
    expect(await ask(responder, replies, 'IDENTIFY')).toBe(vectors('IDENTITY')[1]!.wire);
  });

  it('SET_BAUD to a rate it does not offer → ERROR BAUD_UNSUPPORTED', async () => {
    const { responder, replies } = vectorHub('0002012A');
    expect(vectors('SET_BAUD')[1]!.message).toEqual({ kind: 'SET_BAUD', baudRate: 500_000 });
    expect(await ask(responder, replies, 'SET_BAUD', 1)).toBe(vectors('ERROR').find((v) => v.message.status === 12)!.wire);
  });

  it('READ_VERSION → VERSION', async () => {
    const { responder, replies } = vectorHub('0002012F');
    const reply = await ask(responder, replies, 'READ_VERSION');
    expect(reply).toBe(vector('VERSION').wire);
  });
});

describe('the simulated jig answers the documented commands with the documented lines', () => {
  it.each([
    ['#1 INFO', '@1 OK id=JIG-1 slots=8 fw=1.0.0 serial=SIM0001'],
    ['#5 POWER 9 OFF', '@5 ERR 003 slot must be 1..8'],
  ])('%s', async (command, reply) => {
    expect(jig.map((v) => v.line)).toEqual(expect.arrayContaining([command, reply]));
    const virtual = new VirtualJig({ id: 'JIG-1', serial: 'SIM0001', profileFor: () => DEFAULT_HUB_PROFILE });
    const [host, device] = createDuplexPair();
    virtual.control.attachHost(device);
    let received = '';
    host.on('data', (c: Buffer) => (received += c.toString('ascii')));
    host.write(`${command}\r\n`);
    for (let i = 0; i < 50 && !received.includes(`@${command.slice(1, 2)}`); i++) await new Promise((r) => setTimeout(r, 1));
    expect(received.split('\r\n')).toContain(reply);
  });
});
