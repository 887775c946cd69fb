import { API_ROLES, type ApiRole } from '../config/api-access-schema.js';
import { createToken, readTokensFile, revokeToken } from '../api/access/token-file.js';
import { setPin } from '../api/access/pin-file.js';
import type { AuditRecord } from '../store/audit-store.js';
import { UsageError, type Command, type CommandContext } from './commands.js';
import { table } from './format.js';

const print = (ctx: CommandContext, value: unknown, human: () => string): number => {
  ctx.out(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : human());
  return 0;
};
const opt = (ctx: CommandContext, name: string): string | undefined => {
  const value = ctx.options[name];
  return typeof value === 'string' ? value : undefined;
};

/** The tokens file flashd reads (`api.tokensFile`): these commands edit it on this machine, flashd notices the change. */
function tokensFile(ctx: CommandContext): string {
  const file = opt(ctx, 'tokens-file') ?? ctx.env?.FLASHD_TOKENS_FILE;
  if (!file) throw new UsageError('name the tokens file: --tokens-file PATH or env FLASHD_TOKENS_FILE (the api.tokensFile of flashd)');
  return file;
}

/** API tokens and the audit trail (docs/api.md, "Tokens" and "Audit trail"). */
export const ACCESS_COMMANDS: Record<string, Command> = {
  token: {
    usage: 'token create --name NAME --role viewer|technician|supervisor|admin | token list | token revoke <id|name>   [--tokens-file PATH]',
    run: async (ctx) => {
      const [action, arg] = ctx.args;
      const file = tokensFile(ctx);
      if (action === 'create') {
        const name = opt(ctx, 'name');
        const role = opt(ctx, 'role');
        if (!name || !role || !API_ROLES.includes(role as ApiRole)) throw new UsageError(`token create needs --name and --role (${API_ROLES.join(', ')})`);
        const { entry, token } = createToken(file, name, role as ApiRole);
        // Shown this once: the file keeps only its SHA-256.
        return print(ctx, { ...entry, token }, () => `${token}\n(token ${entry.id} "${entry.name}", role ${entry.role}: shown once, store it now)\n`);
      }
      if (action === 'list') {
        const tokens = readTokensFile(file, true).map(({ sha256: _hash, ...shown }) => shown);
        return print(ctx, tokens, () =>
          table(
            ['ID', 'NAME', 'ROLE', 'CREATED', 'REVOKED'],
            tokens.map((t) => [t.id, t.name, t.role, t.createdAt, t.revokedAt ?? '']),
          ),
        );
      }
      if (action === 'revoke') {
        if (!arg) throw new UsageError('token revoke needs a token id or name');
        const entry = revokeToken(file, arg);
        return print(ctx, { ...entry, sha256: undefined }, () => `revoked token ${entry.id} "${entry.name}"; flashd refuses it from its next request\n`);
      }
      throw new UsageError('token needs create, list or revoke');
    },
  },
  pin: {
    usage: 'pin set <operator> --pins-file PATH   (reads the PIN from stdin; api.operatorPinsFile)',
    run: async (ctx) => {
      const [action, operator] = ctx.args;
      const file = opt(ctx, 'pins-file') ?? ctx.env?.FLASHD_PINS_FILE;
      if (action !== 'set' || !operator || !file)
        throw new UsageError('pin set <operator> with --pins-file PATH or env FLASHD_PINS_FILE (the api.operatorPinsFile of flashd)');
      setPin(file, operator, (await ctx.readStdin()).trim());
      return print(ctx, { operatorId: operator }, () => `PIN set for ${operator}; flashd reads PINs at start\n`);
    },
  },
  audit: {
    usage: 'audit [--actor NAME] [--route /api/v1/...] [--target ID] [--outcome ok|refused] [--from ISO] [--to ISO] [--before ID] [--limit N]   (supervisor)',
    run: async (ctx) => {
      const query = new URLSearchParams({ limit: opt(ctx, 'limit') ?? '100' });
      for (const key of ['actor', 'route', 'target', 'outcome', 'from', 'to', 'before']) {
        const value = opt(ctx, key);
        if (value !== undefined) query.set(key, value);
      }
      const page = await ctx.api.json<{ items: AuditRecord[]; nextCursor: number | null }>('GET', `/audit?${query.toString()}`);
      return print(
        ctx,
        page,
        () =>
          table(
            ['ID', 'AT', 'ACTOR', 'ROLE', 'METHOD', 'ROUTE', 'TARGET', 'STATUS', 'CODE'],
            page.items.map((a) => [
              a.id,
              a.at,
              a.operatorId && a.operatorId !== a.actor ? `${a.actor} (${a.operatorId})` : a.actor,
              a.role,
              a.method,
              a.route,
              a.target,
              a.status,
              a.errorCode,
            ]),
          ) + (page.nextCursor ? `more: --before ${page.nextCursor}\n` : ''),
      );
    },
  },
};
