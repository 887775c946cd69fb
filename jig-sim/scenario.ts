import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { HUB_PHASES } from './virtual-hub.js';

/**
 * The scenario file format (docs/simulator.md): link timing for the whole simulator and per slot,
 * and a list of faults, each with a target, a trigger (`when`) and its parameters. JSON, checked
 * by {@link parseScenario} with every problem reported by its JSON path.
 */
const Int = (min: number, max: number, description?: string) => Type.Integer({ minimum: min, maximum: max, ...(description ? { description } : {}) });
const Probability = Type.Number({ minimum: 0, maximum: 1 });
const Ms = Int(0, 3_600_000);

export const LinkSettingsSchema = Type.Object(
  {
    paced: Type.Optional(Type.Boolean()),
    baudRate: Type.Optional(Int(300, 16_000_000)),
    latencyMs: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

export const TargetSchema = Type.Union([
  Type.Object({ jig: Int(1, 64), slot: Int(1, 8) }, { additionalProperties: false }),
  Type.Object({ jig: Int(1, 64) }, { additionalProperties: false }),
  Type.Object({ deviceId: Type.String({ pattern: '^[0-9A-F]{2}(-[0-9A-F]{2}){7}$' }) }, { additionalProperties: false }),
]);

export const WhenSchema = Type.Union([
  Type.Object({ afterMs: Ms }, { additionalProperties: false }),
  Type.Object(
    {
      phase: Type.Union(HUB_PHASES.map((p) => Type.Literal(p))),
      /** Which time the hub enters the phase; default 1. */
      attempt: Type.Optional(Int(1, 1000)),
      /** TRANSFER only: fire once this many image bytes were accepted. */
      offset: Type.Optional(Int(0, 64 * 1024 * 1024)),
      /** TRANSFER only: fire at this share of the image. */
      percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    },
    { additionalProperties: false },
  ),
]);

const Direction = Type.Union([Type.Literal('to-hub'), Type.Literal('to-host'), Type.Literal('both')]);

/** Fields every fault may carry. */
const common = {
  target: Type.Optional(TargetSchema),
  when: Type.Optional(WhenSchema),
  note: Type.Optional(Type.String({ maxLength: 200 })),
};
/** `line: "control"` puts the noise on the control line of the jig the target names instead of its slot lines. */
const noise = {
  ...common,
  direction: Type.Optional(Direction),
  durationMs: Type.Optional(Ms),
  line: Type.Optional(Type.Union([Type.Literal('slot'), Type.Literal('control')])),
};

/** Parameters of each fault kind, by kind. */
export const FAULT_SCHEMAS = {
  'bit-errors': Type.Object({ kind: Type.Literal('bit-errors'), ...noise, ratePerBit: Probability }, { additionalProperties: false }),
  'drop-bytes': Type.Object({ kind: Type.Literal('drop-bytes'), ...noise, rate: Probability }, { additionalProperties: false }),
  'duplicate-bytes': Type.Object({ kind: Type.Literal('duplicate-bytes'), ...noise, rate: Probability }, { additionalProperties: false }),
  garbage: Type.Object(
    { kind: Type.Literal('garbage'), ...noise, rate: Type.Optional(Probability), lengthBytes: Type.Optional(Type.Tuple([Int(1, 4096), Int(1, 4096)])) },
    { additionalProperties: false },
  ),
  brick: Type.Object({ kind: Type.Literal('brick'), ...common, untilPowerCycle: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  remove: Type.Object({ kind: Type.Literal('remove'), ...common, reinsertAfterMs: Type.Optional(Ms) }, { additionalProperties: false }),
  'unlock-refused': Type.Object({ kind: Type.Literal('unlock-refused'), ...common, lockoutAfter: Type.Optional(Int(1, 100)) }, { additionalProperties: false }),
  'flash-write-error': Type.Object(
    { kind: Type.Literal('flash-write-error'), ...common, sector: Int(0, 65_535), times: Type.Optional(Int(1, 1_000_000)) },
    { additionalProperties: false },
  ),
  'hash-mismatch': Type.Object(
    { kind: Type.Literal('hash-mismatch'), ...common, offset: Type.Optional(Int(0, 64 * 1024 * 1024)), times: Type.Optional(Int(1, 1_000_000)) },
    { additionalProperties: false },
  ),
  'boot-version': Type.Object(
    { kind: Type.Literal('boot-version'), ...common, firmwareVersion: Type.String({ pattern: '^[0-9A-F]{8}$' }), times: Type.Optional(Int(1, 1_000_000)) },
    { additionalProperties: false },
  ),
  'slow-hub': Type.Object(
    { kind: Type.Literal('slow-hub'), ...common, factor: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }) },
    { additionalProperties: false },
  ),
  'control-disconnect': Type.Object({ kind: Type.Literal('control-disconnect'), ...common, refuseMs: Type.Optional(Ms) }, { additionalProperties: false }),
  'jig-reboot': Type.Object({ kind: Type.Literal('jig-reboot'), ...common, durationMs: Type.Optional(Ms) }, { additionalProperties: false }),
  'brown-out': Type.Object({ kind: Type.Literal('brown-out'), ...common, durationMs: Ms }, { additionalProperties: false }),
} satisfies Record<string, TSchema>;

export type FaultKind = keyof typeof FAULT_SCHEMAS;
export const FAULT_KINDS = Object.keys(FAULT_SCHEMAS) as FaultKind[];
export type Fault = { [K in FaultKind]: Static<(typeof FAULT_SCHEMAS)[K]> }[FaultKind];
export type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;
export type FaultTarget = Static<typeof TargetSchema>;
export type FaultWhen = Static<typeof WhenSchema>;
export type LinkSettings = Static<typeof LinkSettingsSchema>;

export const ScenarioHeadSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Seed of every random choice (line noise); default "sim". */
    seed: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Link timing of every line. */
    link: Type.Optional(LinkSettingsSchema),
    /** Link timing of single slots, over `link`. */
    slots: Type.Optional(
      Type.Array(Type.Object({ jig: Int(1, 64), slot: Int(1, 8), link: LinkSettingsSchema }, { additionalProperties: false }), { maxItems: 512 }),
    ),
    faults: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);

export interface Scenario {
  description?: string;
  seed?: string;
  link?: LinkSettings;
  slots?: Array<{ jig: number; slot: number; link: LinkSettings }>;
  faults: Fault[];
}
