import type { OutboxRecord } from '../store/outbox-records.js';
import type { OutboxFigures } from '../upstream/outbox-figures.js';
import { UsageError, type Command, type CommandContext } from './commands.js';
import { table } from './format.js';

type OutboxReply = OutboxFigures & { mode: string; n3Enabled: boolean; deadLetters: OutboxRecord[] };

const print = (ctx: CommandContext, value: unknown, human: () => string): number => {
  ctx.out(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : human());
  return 0;
};

/** The N3 outbox from a terminal (docs/n3.md): its figures with the dead letters, and a re-queue. */
export const OUTBOX_COMMANDS: Record<string, Command> = {
  outbox: {
    usage: 'outbox   (N3 reporting: pending, delivered, dead letters and why)',
    run: async (ctx) => {
      const r = await ctx.api.json<OutboxReply>('GET', '/outbox');
      const age = r.oldestPendingAgeSeconds === null ? '' : `, oldest ${r.oldestPendingAgeSeconds} s`;
      const head = `mode ${r.mode}: ${r.pending} pending (${r.blocked} behind a dead letter${age}), ${r.delivered} delivered, ${r.dead} dead\n`;
      const dead =
        r.deadLetters.length === 0
          ? ''
          : table(
              ['ID', 'DEVICE ID', 'WORK ORDER', 'OUTCOME', 'REASON'],
              r.deadLetters.map((d) => [d.id, d.deviceId, d.workOrderId, d.outcome, d.deadReason]),
            );
      return print(ctx, r, () => head + dead);
    },
  },
  requeue: {
    usage: 'requeue <outbox id>   (send a dead letter again, unchanged; fix the cause upstream first)',
    run: async (ctx) => {
      const id = ctx.args[0];
      if (id === undefined || !/^\d+$/.test(id)) throw new UsageError('requeue needs an outbox id (a number)');
      const r = await ctx.api.json<OutboxRecord>('POST', `/outbox/${id}/requeue`);
      return print(ctx, r, () => `outbox ${r.id} (${r.deviceId}, ${r.outcome}) is ${r.state} again; last reason: ${r.deadReason}\n`);
    },
  },
};
