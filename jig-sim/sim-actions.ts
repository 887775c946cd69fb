import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEVICE_MODELS } from '../firmware-images/models.js';
import { FlashdError } from '../src/domain/errors.js';
import { deviceIdFromBytes, deviceIdToBytes, parseDeviceId, parseFirmwareVersion } from '../src/domain/identifiers.js';
import { demoMasterKey } from './demo-keys.js';
import type { FiredFault } from './fault-engine.js';
import type { Fault } from './scenario.js';
import { checkFault } from './scenario-validate.js';
import type { Simulator } from './simulator.js';
import type { HubSpec } from './virtual-hub.js';

const Jig = Type.Integer({ minimum: 1, maximum: 64 });
const Slot = Type.Integer({ minimum: 1, maximum: 8 });
const HubSpecInput = Type.Object(
  {
    deviceId: Type.String({ pattern: '^[0-9A-F]{2}(-[0-9A-F]{2}){7}$' }),
    model: Type.String({ pattern: '^[0-9A-F]{8}$' }),
    firmwareVersion: Type.String({ pattern: '^[0-9A-F]{8}$' }),
    hardwareVersion: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
    gpfDeviceId: Type.Optional(Type.String({ pattern: '^[0-9A-F]{2}(-[0-9A-F]{2}){7}$' })),
  },
  { additionalProperties: false },
);

/** What the control API, the CLI and the virtual technician can do to the bench. */
const ActionSchemas = {
  insert: Type.Object(
    { action: Type.Literal('insert'), jig: Jig, slot: Slot, deviceId: Type.Optional(Type.String()), hub: Type.Optional(HubSpecInput) },
    { additionalProperties: false },
  ),
  remove: Type.Object({ action: Type.Literal('remove'), jig: Jig, slot: Slot }, { additionalProperties: false }),
  press: Type.Object({ action: Type.Literal('press'), jig: Jig, slot: Slot }, { additionalProperties: false }),
  power: Type.Object({ action: Type.Literal('power'), jig: Jig, slot: Slot, on: Type.Boolean() }, { additionalProperties: false }),
  fault: Type.Object({ action: Type.Literal('fault'), fault: Type.Unknown() }, { additionalProperties: false }),
};

type RawAction = { [K in keyof typeof ActionSchemas]: Static<(typeof ActionSchemas)[K]> }[keyof typeof ActionSchemas];
/** An action as checked: a fault action carries a checked {@link Fault}. */
export type SimAction = Exclude<RawAction, { action: 'fault' }> | { action: 'fault'; fault: Fault };
export const SIM_ACTIONS = Object.keys(ActionSchemas) as Array<RawAction['action']>;

export interface ActionResult {
  ok: true;
  /** What happened, in words. */
  done: string;
  deviceId?: string;
  fired?: FiredFault[];
}

function invalid(problems: string[]): FlashdError {
  return new FlashdError('SIM_ACTION_INVALID', `invalid action: ${problems.join('; ')}`, { details: { problems } });
}

/** Checks an action (as parsed JSON); throws SIM_ACTION_INVALID listing every problem by path. */
export function parseAction(raw: unknown): SimAction {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(['/: an action must be a JSON object']);
  const name = (raw as { action?: unknown }).action;
  if (typeof name !== 'string' || !(SIM_ACTIONS as string[]).includes(name)) {
    throw invalid([`/action: must be one of ${SIM_ACTIONS.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(name)}`]);
  }
  const schema = ActionSchemas[name as RawAction['action']];
  const problems = [...Value.Errors(schema, raw)].map(
    (e) => `${e.path || '/'}: ${e.message === 'Unexpected property' ? 'unknown key' : e.message.toLowerCase()}`,
  );
  if (problems.length > 0) throw invalid([...new Set(problems)]);
  const action = raw as RawAction;
  if (action.action === 'fault') {
    const fault = checkFault(action.fault, '/fault');
    if (Array.isArray(fault)) throw invalid(fault);
    if (fault.when) throw invalid(['/fault/when: an action fault happens now; put triggered faults in a scenario']);
    return { action: 'fault', fault };
  }
  if (action.action === 'insert' && action.deviceId !== undefined && action.hub !== undefined)
    throw invalid(['/: give deviceId (a hub from the shelf) or hub (a new one), not both']);
  return action;
}

/** A full spec from the few fields a person gives; the rest follows from the Device Model. */
export function specFromInput(input: Static<typeof HubSpecInput>): HubSpec {
  const model = DEVICE_MODELS.find((m) => m.model === input.model);
  if (!model) throw invalid([`/hub/model: no Device Model ${input.model}; known: ${DEVICE_MODELS.map((m) => m.model).join(', ')}`]);
  const chf = deviceIdToBytes(parseDeviceId(input.deviceId));
  const gpf = Buffer.from(chf);
  gpf[7] = chf[7]! | 0x01;
  return {
    deviceId: parseDeviceId(input.deviceId),
    gpfDeviceId: input.gpfDeviceId ? parseDeviceId(input.gpfDeviceId) : deviceIdFromBytes(gpf),
    manufacturer: model.manufacturer,
    model: model.model,
    hardwareVersion: input.hardwareVersion ?? model.hardwareMin,
    firmwareVersion: parseFirmwareVersion(input.firmwareVersion),
    smiStatus: 'Pending',
    masterKey: demoMasterKey(model.manufacturer),
  };
}

/** Does an action on a simulator; throws SIM_ACTION_INVALID when it cannot (slot full, empty stock). */
export function performAction(sim: Simulator, raw: unknown): ActionResult {
  const action = parseAction(raw);
  if (action.action === 'fault') {
    const fired = sim.faults.inject(action.fault);
    return { ok: true, done: fired.map((f) => f.what).join('; ') || 'no site matched', fired };
  }
  if (action.jig > sim.jigs.length) throw invalid([`/jig: this simulator has jigs 1..${sim.jigs.length}, not ${action.jig}`]);
  const jig = sim.jig(action.jig);
  const slot = jig.slot(action.slot);
  const where = `${jig.id}/${slot.number}`;
  switch (action.action) {
    case 'insert': {
      if (slot.hub) throw invalid([`/slot: ${where} already holds ${slot.hub.deviceId}`]);
      let hub;
      if (action.deviceId !== undefined) {
        hub = sim.shelf.get(action.deviceId);
        if (!hub) throw invalid([`/deviceId: ${action.deviceId} is not on the shelf (removed hubs: ${[...sim.shelf.keys()].join(', ') || 'none'})`]);
      } else if (action.hub) {
        const spec = specFromInput(action.hub);
        if (sim.findHub(spec.deviceId)) throw invalid([`/hub/deviceId: ${spec.deviceId} is already in the simulator`]);
        hub = spec;
      } else {
        hub = sim.takeFromStock();
        if (!hub) throw invalid(['/: the stock list is empty; give "hub" or "deviceId"']);
      }
      const inserted = jig.insert(slot.number, hub);
      return { ok: true, done: `inserted ${inserted.deviceId} into ${where}`, deviceId: inserted.deviceId };
    }
    case 'remove': {
      const hub = jig.remove(slot.number);
      if (!hub) throw invalid([`/slot: ${where} is empty`]);
      return { ok: true, done: `removed ${hub.deviceId} from ${where} to the shelf`, deviceId: hub.deviceId };
    }
    case 'press':
      jig.pressButton(slot.number);
      return { ok: true, done: `pressed the button of ${where}` };
    case 'power':
      jig.setPower(slot.number, action.on);
      return { ok: true, done: `${where} power ${action.on ? 'on' : 'off'}` };
  }
}
