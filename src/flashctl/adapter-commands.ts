import { writeFile } from 'node:fs/promises';
import type { AdapterView } from '../jig/adapters.js';
import { UDEV_RULES_FILE, udevRules } from '../jig/udev-rules.js';
import type { Command, CommandContext } from './commands.js';
import { table } from './format.js';

const adapters = async (ctx: CommandContext): Promise<AdapterView[]> => (await ctx.api.json<{ items: AdapterView[] }>('GET', '/adapters')).items;

/** Finding the jigs' serial adapters and naming them (docs/operations.md, "Finding the jigs"). */
export const ADAPTER_COMMANDS: Record<string, Command> = {
  adapters: {
    usage: 'adapters   (every serial adapter: configured jig port, unknown, or configured but missing)',
    run: async (ctx) => {
      const items = await adapters(ctx);
      const rows = items.map((a) => [
        a.status,
        a.path,
        a.role ? `${a.role.jig} ${a.role.line}` : '',
        a.vendorId ? `${a.vendorId}:${a.productId ?? ''}` : '',
        a.serialNumber ?? '',
        a.byId ?? '',
      ]);
      ctx.out(
        ctx.json
          ? `${JSON.stringify({ items }, null, 2)}\n`
          : items.length === 0
            ? 'no serial adapters, and no jig port in the config\n'
            : table(['STATUS', 'PATH', 'JIG PORT', 'USB', 'SERIAL', 'BY-ID'], rows),
      );
      return 0;
    },
  },
  'udev-rules': {
    usage: `udev-rules [--write | --out FILE]   (rules naming each jig's adapters /dev/flashd/jig-N/...; --write: ${UDEV_RULES_FILE})`,
    run: async (ctx) => {
      const text = udevRules(await adapters(ctx), new Date().toISOString());
      const out = ctx.options.write === true ? UDEV_RULES_FILE : typeof ctx.options.out === 'string' ? ctx.options.out : undefined;
      if (!out) {
        ctx.out(text);
        return 0;
      }
      await writeFile(out, text, { mode: 0o644 });
      ctx.err(`wrote ${out}; apply with: udevadm control --reload-rules && udevadm trigger --subsystem-match=tty\n`);
      return 0;
    },
  },
};
