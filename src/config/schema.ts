import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_WORK_ORDER_LIMITS } from '../domain/work-order.js';
import { GuardsSchema } from './guards-schema.js';
import { UpstreamSchema } from './upstream-schema.js';
import { ApiAccessSchema } from './api-access-schema.js';
import { JigReconnectSchema } from './reconnect-schema.js';

const ManufacturerCode = Type.String({ pattern: '^[0-9A-F]{4}$', description: 'ZigBee manufacturer code, 4 upper-case hex digits' });
const LinkUrl = Type.String({ minLength: 1, description: 'device path, socket://host:port or sim://name' });
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' });
const Ms = (value: number, description: string) => Type.Integer({ minimum: 0, maximum: 3_600_000, default: value, description });

/** A secret given inline (hex) or, better, by a file such as a systemd credential. */
const SecretKey = Type.Union([
  Type.String({ pattern: '^[0-9a-fA-F]{32,128}$', description: 'key as hex' }),
  Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);

const Jig = Type.Object(
  {
    id: Id,
    control: LinkUrl,
    slots: Type.Array(LinkUrl, { minItems: 1, maxItems: 8 }),
    baudRate: Type.Integer({ minimum: 1200, maximum: 4_000_000, default: 115_200, description: 'rate every session starts at' }),
    maxBaudRate: Type.Optional(
      Type.Integer({
        minimum: 1200,
        maximum: 16_000_000,
        description: 'highest rate sessions on this jig may switch to (its adapter or cabling); set it to baudRate for raw TCP to real hardware',
      }),
    ),
    usb: Type.Optional(
      Type.Object(
        { vendorId: Type.Integer({ minimum: 0, maximum: 0xffff }), productId: Type.Integer({ minimum: 0, maximum: 0xffff }) },
        { additionalProperties: false, description: 'USB adapter of the control port; its hotplug triggers an immediate reconnect' },
      ),
    ),
  },
  { additionalProperties: false },
);

const Timeouts = Type.Object(
  {
    requestTimeoutMs: Ms(1000, 'reply timeout for a hub request, from when it is on the wire'),
    requestRetries: Type.Integer({ minimum: 0, maximum: 10, default: 3 }),
    probeTimeoutMs: Type.Integer({
      minimum: 20,
      maximum: 10_000,
      default: 150,
      description: 'reply timeout of the opening IDENTIFY, repeated while a just-seated hub boots',
    }),
    bootWaitMs: Ms(3000, 'how long the opening IDENTIFY keeps probing a hub that is still booting'),
    unlockTimeoutMs: Ms(3000, 'reply timeout for UNLOCK (the hub checks an HMAC)'),
    verifyTimeoutBaseMs: Ms(5000, 'FINISH timeout before the per-MiB allowance'),
    verifyTimeoutMsPerMiB: Ms(10_000, 'FINISH allowance per MiB for pending writes and the on-hub hash'),
    rebootGraceMs: Ms(15_000, 'how long past the announced reboot time flashd keeps asking'),
    ackTimeoutMs: Ms(2000, 'silence after the last block on the wire before resending'),
    transferRetries: Type.Integer({ minimum: 0, maximum: 50, default: 8 }),
    decisionTimeoutMs: Ms(10_000, 'how long a session waits for the bench to decide'),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    benchId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$', default: 'BENCH-1' }),
    api: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65_535, default: 8080 }),
        ...ApiAccessSchema,
      },
      { additionalProperties: false, default: {} },
    ),
    store: Type.Object(
      {
        path: Type.String({ minLength: 1, default: 'var/flashd.db' }),
        maxSizeMiB: Type.Integer({
          minimum: 0,
          maximum: 1_048_576,
          default: 0,
          description: 'largest the store file may grow (SQLite max_page_count); 0: as large as the disk allows',
        }),
        // Off (0) by default: records are kept for ever. docs/operations.md, "Retention".
        retention: Type.Object(
          {
            deliveredReportsDays: Type.Integer({
              minimum: 0,
              maximum: 36_500,
              default: 0,
              description: 'delete N3 outbox rows delivered this many days ago, of settled work orders; 0 keeps them',
            }),
            attemptsDays: Type.Integer({
              minimum: 0,
              maximum: 36_500,
              default: 0,
              description: 'delete attempts finished this many days ago, of settled work orders and no longer reported; 0 keeps them',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    images: Type.Object(
      {
        dir: Type.String({ minLength: 1, default: 'firmware-images' }),
        // Empty: the demo signing key with the simulator on, a config error with it off (simulator-defaults.ts).
        trustedKeyFiles: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    unlock: Type.Object(
      {
        // With the simulator on, manufacturers left out get its demo keys (simulator-defaults.ts); never otherwise.
        keys: Type.Record(ManufacturerCode, SecretKey, { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
    jigs: Type.Array(Jig, { default: [], maxItems: 64 }),
    simulator: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'run the built-in jig simulator and flash its hubs' }),
        jigs: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
        hubs: Type.Integer({ minimum: 0, maximum: 512, default: 8, description: 'hubs inserted at start' }),
        seed: Type.String({ minLength: 1, default: 'demo' }),
        transport: Type.Union([Type.Literal('tcp'), Type.Literal('in-process')], { default: 'tcp' }),
        profile: Type.Union([Type.Literal('default'), Type.Literal('instant'), Type.Literal('model')], {
          default: 'default',
          description: 'hub timing: default, instant (no device time) or model (per Device Model, docs/simulator.md)',
        }),
        stock: Type.Integer({ minimum: 0, maximum: 100_000, default: 200, description: 'hubs waiting for the virtual technician after the first load' }),
        technician: Type.Object(
          {
            enabled: Type.Boolean({ default: true, description: 'a virtual technician swaps finished hubs (by their LEDs) for new ones from stock' }),
            dwellMs: Ms(3000, 'how long a finished hub stays in its slot'),
            swapMs: Ms(1500, 'how long putting the next hub in takes'),
          },
          { additionalProperties: false, default: {} },
        ),
        link: Type.Object(
          {
            paced: Type.Boolean({ default: true, description: 'pace slot lines at baudRate/10 bytes per second (8N1), as a real UART is' }),
            baudRate: Type.Integer({ minimum: 300, maximum: 16_000_000, default: 115_200 }),
            latencyMs: Type.Number({ minimum: 0, maximum: 10_000, default: 4, description: 'one-way latency of a USB-serial adapter' }),
          },
          { additionalProperties: false, default: {} },
        ),
        scenario: Type.Optional(Type.String({ minLength: 1, description: 'scenario file (docs/simulator.md): link timing and faults' })),
        controlPort: Type.Optional(
          Type.Integer({ minimum: 0, maximum: 65_535, description: 'serve the simulator control API (GET /truth, POST /actions) on 127.0.0.1; 0 = any port' }),
        ),
        demoWorkOrder: Type.Boolean({ default: true, description: 'create and take in a work order for the simulated stock (docs/work-orders.md)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    sessions: Type.Object(
      {
        maxThreads: Type.Integer({ minimum: 1, maximum: 64, default: 2 }),
        concurrentTasksPerThread: Type.Integer({ minimum: 1, maximum: 64, default: 16 }),
        threadNice: Type.Integer({
          minimum: 0,
          maximum: 19,
          default: 10,
          description:
            "Linux: nice steps the session threads run below the main thread, which moves every line's bytes and answers the API; 0 = the same priority",
        }),
        timeouts: Timeouts,
        transfer: Type.Object(
          {
            blockBytes: Type.Integer({ minimum: 64, maximum: 4096, default: 4096 }),
            window: Type.Integer({ minimum: 1, maximum: 255, default: 16, description: 'blocks in flight; the hub may ask for fewer' }),
            deflate: Type.Boolean({ default: true }),
            deflateDictionary: Type.Boolean({
              default: true,
              description: 'protocol 1.1: deflate each block with the image before it as dictionary, with hubs that offer it',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        baud: Type.Object(
          {
            rates: Type.Array(Type.Integer({ minimum: 1200, maximum: 16_000_000 }), {
              maxItems: 16,
              default: [230_400, 460_800, 921_600],
              description: 'rates a session may switch a hub link to after IDENTIFY, highest the hub and jig allow first; [] never switches',
            }),
            stepDownErrors: Type.Integer({
              minimum: 1,
              maximum: 1000,
              default: 24,
              description:
                'line errors within stepDownWindowBlocks that make a session step its rate down (half the rate pays only when over a third of frames are lost)',
            }),
            stepDownWindowBlocks: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
          },
          { additionalProperties: false, default: {} },
        ),
        // A committed hub's read-back (its reboot plus rebootGraceMs) must fit, inside systemd's TimeoutStopSec=30s.
        shutdownGraceMs: Ms(25_000, 'how long SIGTERM waits for sessions to reach a safe point'),
      },
      { additionalProperties: false, default: {} },
    ),
    process: Type.Object(
      {
        maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'failed attempts per hub and work order before scrap is proposed' }),
        operatorId: Type.String({
          pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$',
          default: 'bench',
          description: 'operator recorded for bench actions until someone signs in (PUT /api/v1/bench/operator)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        maxOpenWorkOrders: Type.Integer({
          minimum: 1,
          maximum: 1_000_000,
          default: DEFAULT_WORK_ORDER_LIMITS.maxOpenWorkOrders,
          description: 'work orders open at once; creating one more is 409 WORK_ORDERS_OPEN_LIMIT',
        }),
        maxNewHubsPerHour: Type.Integer({
          minimum: 1,
          maximum: 10_000_000,
          default: DEFAULT_WORK_ORDER_LIMITS.maxNewHubsPerHour,
          description: 'hubs listed on work orders created within an hour; more is 429 HUB_IMPORT_RATE_LIMIT',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    jigTimeoutMs: Ms(2000, 'reply timeout on a jig control port'),
    jigReconcileMs: Ms(2000, "how often each jig's slots are read back (STATUS) to heal lost events, and unacknowledged LEDs re-sent"),
    upstream: UpstreamSchema,
    guards: GuardsSchema,
    jigReconnect: JigReconnectSchema,
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type JigConfig = Static<typeof Jig>;
