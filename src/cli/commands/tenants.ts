import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { allTenants, createTenant, renameTenant, type TenantView } from '../../tenants/tenants.js';
import { createUser, issueSignInLink, signInLinkUrl } from '../../auth/users.js';
import { table } from '../table.js';

/**
 * `syncwarden tenants list|create|rename`: several organisations in one installation. On the
 * data folder they act as the installation's operator (every tenant is listed; `create
 * --owner` names the new tenant's first owner); with SYNCWARDEN_URL + SYNCWARDEN_TOKEN they go
 * through the API: the tenants the token's person belongs to, and `create` needs an Owner's
 * token (the person becomes the new tenant's owner).
 */
export function registerTenantCommands(program: Command, cli: CliContext): void {
  const publicUrl = () => cli.env['SYNCWARDEN_PUBLIC_URL'] || cli.serverUrl().replace('://127.0.0.1', '://localhost');
  const print = (tenants: TenantView[], json?: boolean, current?: string) => {
    if (json) return cli.out(JSON.stringify(tenants, null, 2));
    cli.out(table(['id', 'name', tenants.some((t) => t.role) ? 'your role' : 'members', 'created'],
      tenants.map((t) => [`${t.id}${t.id === current ? ' *' : ''}`, t.name, t.role ?? String(t.members ?? 0), t.createdAt ?? ''])));
  };
  const tenants = program.command('tenants').description('organisations served by this installation: list, create, rename');
  tenants.command('list').description('organisations (remotely: those the token\'s person belongs to, * the token\'s own)').option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      if (cli.remote) {
        const r = await cli.callApi<{ current: string; tenants: TenantView[] }>('GET', '/tenants');
        return print(r.tenants, o.json, r.current);
      }
      await cli.withRuntime(async ({ rt }) => print(await allTenants(rt), o.json));
    });
  tenants.command('create <id>').description('create an organisation: <id> is what people type (lower-case letters, digits, dashes)')
    .requiredOption('--name <name>', 'the name people see')
    .option('--owner <email>', 'on the data folder: its first owner (an existing account joins, a new one gets a one-time sign-in link)')
    .action(async (id: string, o: { name: string; owner?: string }) => {
      if (cli.remote) {
        const t = await cli.callApi<TenantView>('POST', '/tenants', { id, name: o.name });
        cli.out(`Created organisation ${t.id} ("${t.name}"); you are its owner. Switch to it in the account menu, or make an API token there.`);
        return;
      }
      await cli.withRuntime(async ({ rt }) => {
        const t = await createTenant(rt, { id, name: o.name }, null);
        cli.out(`Created organisation ${t.id} ("${t.name}").`);
        if (o.owner) {
          const user = await createUser(rt, t.id, { email: o.owner, role: 'owner' }, null);
          cli.out(user.existingAccount ? `${user.email} is its owner (existing account).` : `${user.email} is its owner.`);
          if (!user.hasPassword && !user.existingAccount) cli.out(`One-time sign-in link (24 hours): ${signInLinkUrl(publicUrl(), await issueSignInLink(rt, t.id, user.id))}`);
        } else {
          cli.out(`Add its first owner: syncwarden users create <email> --role owner --tenant ${t.id}`);
        }
      });
    });
  tenants.command('rename <id> <name>').description('rename an organisation (its id stays)')
    .action(async (id: string, name: string) => {
      const t = cli.remote ? await cli.callApi<TenantView>('PATCH', `/tenants/${encodeURIComponent(id)}`, { name })
        : await cli.withRuntime(async ({ rt }) => renameTenant(rt, id.toLowerCase(), { name }));
      cli.out(`Organisation ${t.id} is now "${t.name}".`);
    });
}
