import type { GuardsView } from '../domain/quality-guards.js';
import type { GuardActionRecord } from '../store/guard-store.js';
import type { BatchFailures } from '../store/batch-failures.js';
import { UsageError, type Command, type CommandContext } from './commands.js';
import { table } from './format.js';

type GuardsReply = GuardsView & { actions: GuardActionRecord[] };

const print = (ctx: CommandContext, value: unknown, human: () => string): number => {
  ctx.out(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : human());
  return 0;
};
const note = (ctx: CommandContext): string => {
  const value = ctx.options.note;
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError('a release needs --note TEXT: why it is safe to go on (it is kept with the release)');
  return value;
};
const done = (a: GuardActionRecord): string => `${a.kind} by ${a.by} at ${a.at}: ${a.reason}\n`;

/** The quality guards from a terminal (docs/quality-guards.md): their state, a supervisor's releases, failures by batch. */
export const GUARD_COMMANDS: Record<string, Command> = {
  guards: {
    usage: 'guards   (canaries, halted models, suspect slots and the last halts and releases)',
    run: async (ctx) => {
      const r = await ctx.api.json<GuardsReply>('GET', '/guards');
      const head = r.enabled ? '' : 'quality guards are off (guards.enabled: false)\n';
      const canaries = table(
        ['MODEL', 'VERSION', 'CANARY', 'PASSED', 'FLASHING', 'REASON'],
        r.canaries.map((c) => [c.model, c.version, c.status, `${c.passed}/${c.hubs}`, c.running, c.reason]),
      );
      const models = table(
        ['MODEL', 'VERSION', 'HALTED', 'FAILED/SESSIONS', 'REASON'],
        r.models.map((m) => [m.model, m.version, m.halted ? 'yes' : 'no', `${m.failures}/${m.sessions}`, m.reason]),
      );
      const slots = table(
        ['JIG', 'SLOT', 'STATUS', 'FAULTS/SESSIONS', 'REASON'],
        r.slots.map((s) => [s.jig, s.slot, s.status, `${s.faults}/${s.sessions}`, s.reason]),
      );
      const actions = table(
        ['ID', 'AT', 'ACTION', 'SUBJECT', 'BY', 'WHY'],
        r.actions.map((a) => [a.id, a.at, a.kind, a.model ? `${a.model}/${a.version}` : `${a.jig}/${a.slot}`, a.by, a.reason]),
      );
      return print(ctx, r, () => head + canaries + '\n' + models + '\n' + slots + '\n' + actions);
    },
  },
  'canary-release': {
    usage:
      'canary-release <model> <version> --note TEXT   (supervisor: flash the model without waiting for its canary; recorded under --operator, who signs in)',
    run: async (ctx) => {
      const [model, version] = ctx.args;
      if (!model || !version) throw new UsageError('canary-release needs a model and an image version (8 hex digits each)');
      const a = await ctx.api.json<GuardActionRecord>('POST', `/guards/canaries/${model}/${version}/release`, { note: note(ctx) });
      return print(ctx, a, () => done(a));
    },
  },
  'model-resume': {
    usage:
      'model-resume <model> <version> --note TEXT   (supervisor: resume a halted model; a failed canary runs again; recorded under --operator, who signs in)',
    run: async (ctx) => {
      const [model, version] = ctx.args;
      if (!model || !version) throw new UsageError('model-resume needs a model and an image version (8 hex digits each)');
      const a = await ctx.api.json<GuardActionRecord>('POST', `/guards/models/${model}/${version}/resume`, { note: note(ctx) });
      return print(ctx, a, () => done(a));
    },
  },
  'slot-release': {
    usage: 'slot-release <jig> <slot> --note TEXT   (supervisor: put a suspect slot back in service; recorded under --operator, who signs in)',
    run: async (ctx) => slotAction(ctx, 'release'),
  },
  'slot-self-test': {
    usage: 'slot-self-test <jig> <slot> --note TEXT   (supervisor: one session decides; a pass puts the slot back; recorded under --operator, who signs in)',
    run: async (ctx) => slotAction(ctx, 'self-test'),
  },
  batches: {
    usage: 'batches [--since ISO-TIME]   (failures by work order, model, hardware version and firmware before; default today)',
    run: async (ctx) => {
      const since = typeof ctx.options.since === 'string' ? `?since=${encodeURIComponent(ctx.options.since)}` : '';
      const r = await ctx.api.json<{ since: string; items: BatchFailures[] }>('GET', `/batches${since}`);
      return print(ctx, r, () =>
        table(
          ['WORK ORDER', 'MODEL', 'HW', 'FIRMWARE BEFORE', 'FAILED HUBS', 'ATTEMPTS', 'CODES'],
          r.items.map((b) => [
            b.workOrderId,
            b.model,
            b.hardwareVersion,
            b.firmwareBefore,
            `${b.failedHubs}/${b.hubs}`,
            b.failedAttempts,
            b.codes.map((c) => `${c.code}×${c.count}`).join(' '),
          ]),
        ),
      );
    },
  },
};

async function slotAction(ctx: CommandContext, action: 'release' | 'self-test'): Promise<number> {
  const [jig, slot] = ctx.args;
  if (!jig || !slot || !/^[1-8]$/.test(slot)) throw new UsageError(`slot-${action} needs a jig id and a slot number 1..8`);
  const a = await ctx.api.json<GuardActionRecord>('POST', `/guards/slots/${encodeURIComponent(jig)}/${slot}/${action}`, { note: note(ctx) });
  return print(ctx, a, () => done(a));
}
