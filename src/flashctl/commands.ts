import { readFile, writeFile } from 'node:fs/promises';
import type { Manifest } from '../domain/manifest.js';
import type { WorkOrderRecord } from '../records/work-order.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import { ApiError, type ApiClient } from './api-client.js';
import { counts, table } from './format.js';
import { OUTBOX_COMMANDS } from './outbox-commands.js';
import { ADAPTER_COMMANDS } from './adapter-commands.js';
import { ACCESS_COMMANDS } from './access-commands.js';
import { STORE_COMMANDS } from './store-commands.js';
import { GUARD_COMMANDS } from './guard-commands.js';

/** What a command gets: the client, its positional arguments and options, and where to write. */
export interface CommandContext {
  api: ApiClient;
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  out: (text: string) => void;
  /** Per-item problems that do not stop a batch (stderr). */
  err: (text: string) => void;
  json: boolean;
  readStdin: () => Promise<string>;
  /** The environment (FLASHD_TOKENS_FILE for the token commands). */
  env?: Record<string, string | undefined>;
}

export interface Command {
  usage: string;
  /** Returns the exit status: 0, or 4 when a scan was rejected. */
  run(ctx: CommandContext): Promise<number>;
}

export class UsageError extends Error {}

const q = encodeURIComponent;
const str = (ctx: CommandContext, name: string): string | undefined => {
  const value = ctx.options[name];
  return typeof value === 'string' ? value : undefined;
};
const need = (ctx: CommandContext, n: number, what: string): string[] => {
  if (ctx.args.length < n) throw new UsageError(`missing ${what}`);
  return ctx.args;
};
const print = (ctx: CommandContext, value: unknown, human: () => string): number => {
  ctx.out(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : human());
  return 0;
};
const orders = (items: WorkOrderRecord[]) =>
  table(
    ['WORK ORDER', 'PARTY', 'REGION', 'STATE', 'HUBS', 'BY STATE'],
    items.map((o) => [o.id, o.secPartyId, o.cspRegion, o.state, o.hubCount, counts(o.counts)]),
  );
const hubs = (items: WorkOrderHubRecord[]) =>
  table(
    ['LINE', 'DEVICE ID', 'STATE', 'REASON', 'BEFORE', 'AFTER', 'TRIES', 'FLAGS'],
    items.map((h) => [h.line, h.deviceId, h.state, h.reasonCode, h.firmwareBefore, h.firmwareAfter, h.attemptCount, h.flags.join(' ')]),
  );
const file = async (ctx: CommandContext, text: string): Promise<number> => {
  const out = str(ctx, 'out');
  if (out) await writeFile(out, text);
  else ctx.out(text);
  return 0;
};

/** The commands; docs/work-orders.md ("flashctl") shows them in use. */
export const COMMANDS: Record<string, Command> = {
  'work-orders': {
    usage: 'work-orders [--state OPEN|CLOSED|CANCELLED] [--party ID]',
    run: async (ctx) => {
      const query = new URLSearchParams({ limit: '1000' });
      if (str(ctx, 'state')) query.set('state', str(ctx, 'state')!.toUpperCase());
      if (str(ctx, 'party')) query.set('secPartyId', str(ctx, 'party')!);
      const page = await ctx.api.json<{ items: WorkOrderRecord[] }>('GET', `/work-orders?${query.toString()}`);
      return print(ctx, page, () => orders(page.items));
    },
  },
  'work-order': {
    usage: 'work-order <id>',
    run: async (ctx) => {
      const [id] = need(ctx, 1, 'work order id');
      const wo = await ctx.api.json<WorkOrderRecord & { hubs: WorkOrderHubRecord[] }>('GET', `/work-orders/${q(id!)}`);
      return print(ctx, wo, () => orders([wo]) + '\n' + hubs(wo.hubs));
    },
  },
  import: {
    usage: 'import <file.csv> --id <work order> --party <SEC Party> --region North|Central|South',
    run: async (ctx) => {
      const [path] = need(ctx, 1, 'CSV file');
      const [id, party, region] = [str(ctx, 'id'), str(ctx, 'party'), str(ctx, 'region')];
      if (!id || !party || !region) throw new UsageError('import needs --id, --party and --region');
      const text = await readFile(path!, 'utf8');
      const wo = await ctx.api.upload<WorkOrderRecord>(
        `/work-orders/import?${new URLSearchParams({ id, secPartyId: party, cspRegion: region }).toString()}`,
        'text/csv',
        text,
      );
      return print(ctx, wo, () => `imported work order ${wo.id}: ${wo.hubCount} hubs for ${wo.secPartyId} (${wo.cspRegion})\n`);
    },
  },
  scan: {
    usage: 'scan [--work-order <id>] <deviceId>...   (no IDs: one per line from stdin, as a scanner types them)',
    run: async (ctx) => {
      const ids = ctx.args.length ? ctx.args : (await ctx.readStdin()).split(/\r?\n/).filter((l) => l.trim() !== '');
      if (ids.length === 0) throw new UsageError('missing Device IDs');
      let rejected = 0;
      for (const deviceId of ids) {
        let r: { decision: string; deviceId: string; workOrderId: string | null; code?: string; message?: string };
        try {
          r = await ctx.api.json('POST', '/intake', { deviceId, ...(str(ctx, 'work-order') ? { workOrderId: str(ctx, 'work-order') } : {}) });
        } catch (err) {
          // A mis-scan (not a Device ID at all: 400) is refused for that line only and the rest of
          // the batch still goes in; anything else (no such work order, flashd failing) stops it.
          if (!(err instanceof ApiError) || err.status !== 400) throw err;
          rejected++;
          if (ctx.json) print(ctx, { decision: 'REFUSED', deviceId, code: err.code, message: err.message }, () => '');
          else ctx.err(`REFUSED   ${deviceId.trim()}  ${err.code}: ${err.message}\n`);
          continue;
        }
        if (r.decision !== 'ACCEPTED') rejected++;
        print(ctx, r, () => (r.decision === 'ACCEPTED' ? `ACCEPTED  ${r.deviceId}  ${r.workOrderId}\n` : `REJECTED  ${r.deviceId}  ${r.code}: ${r.message}\n`));
      }
      return rejected > 0 ? 4 : 0;
    },
  },
  hubs: {
    usage: 'hubs <work order> [--state STATE[,STATE]]',
    run: async (ctx) => {
      const [id] = need(ctx, 1, 'work order id');
      const query = new URLSearchParams();
      for (const s of (str(ctx, 'state') ?? '').split(',').filter(Boolean)) query.append('state', s.toUpperCase());
      const page = await ctx.api.json<{ items: WorkOrderHubRecord[] }>('GET', `/work-orders/${q(id!)}/hubs?${query.toString()}`);
      return print(ctx, page, () => hubs(page.items));
    },
  },
  hub: {
    usage: 'hub <deviceId>   (the work orders it has been on)',
    run: async (ctx) => {
      const [id] = need(ctx, 1, 'Device ID');
      const page = await ctx.api.json<{ items: WorkOrderHubRecord[] }>('GET', `/hubs/${q(id!)}/work-orders`);
      return print(ctx, page, () =>
        table(
          ['WORK ORDER', 'STATE', 'REASON', 'AFTER'],
          page.items.map((h) => [h.workOrderId, h.state, h.reasonCode, h.firmwareAfter]),
        ),
      );
    },
  },
  retry: {
    usage: 'retry <deviceId>   (the hub must sit in a slot; like the slot button)',
    run: async (ctx) => {
      const [id] = need(ctx, 1, 'Device ID');
      const r = await ctx.api.json<{ deviceId: string; jig: string; slot: number }>('POST', `/hubs/${q(id!)}/retry`, {});
      return print(ctx, r, () => `retrying ${r.deviceId} in ${r.jig} slot ${r.slot}\n`);
    },
  },
  'confirm-scrap': {
    usage: 'confirm-scrap <deviceId> [--note TEXT]   (recorded under the token or --operator sign-in)',
    run: async (ctx) => {
      const [id] = need(ctx, 1, 'Device ID');
      const h = await ctx.api.json<WorkOrderHubRecord>('POST', `/hubs/${q(id!)}/confirm-scrap`, str(ctx, 'note') ? { note: str(ctx, 'note') } : {});
      return print(ctx, h, () => `${h.deviceId} SCRAPPED on ${h.workOrderId} (${h.reasonCode}), confirmed by ${h.scrapConfirmedBy}\n`);
    },
  },
  return: {
    usage: 'return <work order> (<deviceId>... | --all-ready) [--party ID]',
    run: async (ctx) => {
      const [id, ...given] = need(ctx, 1, 'work order id');
      let deviceIds = given;
      if (ctx.options['all-ready']) {
        const m = await ctx.api.json<Manifest<WorkOrderRecord>>('GET', `/work-orders/${q(id!)}/manifest`);
        deviceIds = [...m.returns, ...m.rejected].filter((l) => !l.returned).map((l) => l.deviceId);
      }
      if (deviceIds.length === 0) throw new UsageError('no Device IDs to return');
      const body = { deviceIds, ...(str(ctx, 'party') ? { secPartyId: str(ctx, 'party') } : {}) };
      const r = await ctx.api.json<{ returned: WorkOrderHubRecord[]; workOrder: WorkOrderRecord }>('POST', `/work-orders/${q(id!)}/returns`, body);
      return print(ctx, r, () => `returned ${r.returned.length} hubs to ${r.workOrder.secPartyId}; work order ${r.workOrder.id} is ${r.workOrder.state}\n`);
    },
  },
  close: { usage: 'close <work order>', run: (ctx) => settle(ctx, 'close') },
  cancel: { usage: 'cancel <work order>', run: (ctx) => settle(ctx, 'cancel') },
  manifest: {
    usage: 'manifest <work order> [--csv] [--out FILE]',
    run: async (ctx) => {
      const [id] = need(ctx, 1, 'work order id');
      if (ctx.options.csv) return file(ctx, await ctx.api.text(`/work-orders/${q(id!)}/manifest?format=csv`));
      const m = await ctx.api.json<Manifest<WorkOrderRecord>>('GET', `/work-orders/${q(id!)}/manifest`);
      const lines = [...m.returns, ...m.rejected, ...m.scrapped, ...m.inProcess, ...m.notReceived];
      return print(
        ctx,
        m,
        () =>
          `${m.workOrder.id} for ${m.workOrder.secPartyId}: ${counts(m.totals)}\n` +
          table(
            ['DEVICE ID', 'DISPOSITION', 'RETURNED', 'AFTER', 'REASON'],
            lines.map((l) => [l.deviceId, l.disposition, l.returned ? 'yes' : 'no', l.firmwareAfter, l.reasonCode]),
          ),
      );
    },
  },
  charges: {
    usage: 'charges [--by work-order|party] [--party ID] [--from DATE] [--to DATE] [--csv] [--out FILE]   (period: from inclusive, to exclusive, UTC)',
    run: async (ctx) => {
      const query = new URLSearchParams({ by: str(ctx, 'by') ?? 'work-order' });
      if (str(ctx, 'party')) query.set('secPartyId', str(ctx, 'party')!);
      if (str(ctx, 'from')) query.set('from', str(ctx, 'from')!);
      if (str(ctx, 'to')) query.set('to', str(ctx, 'to')!);
      if (ctx.options.csv) return file(ctx, await ctx.api.text(`/charges?${query.toString()}&format=csv`));
      const r = await ctx.api.json<{ items: Array<Record<string, string | number>> }>('GET', `/charges?${query.toString()}`);
      const cols = [
        'secPartyId',
        ...(query.get('by') === 'party' ? ['workOrders'] : ['workOrderId']),
        'reflashed',
        'alreadyCurrent',
        'rejected',
        'scrapped',
        'inProcess',
        'notReceived',
      ];
      return print(ctx, r, () =>
        table(
          cols,
          r.items.map((i) => cols.map((c) => i[c])),
        ),
      );
    },
  },
  ssmi: {
    usage: 'ssmi <work order>... [--out FILE]   (Option B upload file)',
    run: async (ctx) => {
      const ids = need(ctx, 1, 'work order id');
      return file(ctx, await ctx.api.text(`/ssmi?${new URLSearchParams(ids.map((id): [string, string] => ['workOrderId', id])).toString()}`));
    },
  },
  operator: {
    usage: 'operator [<id>]   (show or set who is at the bench)',
    run: async (ctx) => {
      const r = ctx.args[0]
        ? await ctx.api.json<{ operatorId: string }>('PUT', '/bench/operator', { operatorId: ctx.args[0] })
        : await ctx.api.json<{ operatorId: string }>('GET', '/bench/operator');
      return print(ctx, r, () => `${r.operatorId}\n`);
    },
  },
  ...OUTBOX_COMMANDS,
  ...ADAPTER_COMMANDS,
  ...ACCESS_COMMANDS,
  ...STORE_COMMANDS,
  ...GUARD_COMMANDS,
};

async function settle(ctx: CommandContext, action: 'close' | 'cancel'): Promise<number> {
  const [id] = need(ctx, 1, 'work order id');
  const wo = await ctx.api.json<WorkOrderRecord>('POST', `/work-orders/${q(id!)}/${action}`);
  return print(ctx, wo, () => `work order ${wo.id} is ${wo.state}: ${counts(wo.counts)}\n`);
}
