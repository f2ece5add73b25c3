import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { AppError } from '../../errors/index.js';
import { createUser, findUserByEmail, issueSignInLink, resetPassword, signInLinkUrl, updateUser, userViews, type UserView } from '../../auth/users.js';
import { createApiToken, revokeApiToken, tokenViews, type TokenView } from '../../auth/tokens.js';
import type { Role } from '../../auth/permissions.js';
import { table } from '../table.js';
import { tenantView } from '../../tenants/tenants.js';

/**
 * `syncwarden users …` and `syncwarden tokens …`. On the data folder they act as the local
 * operator (no role ceiling: whoever runs them there owns the installation); with
 * SYNCWARDEN_URL + SYNCWARDEN_TOKEN they go through that server's API, under the token's role.
 * Passwords are read from SYNCWARDEN_NEW_PASSWORD, never from the command line (which other
 * users of the machine can see in the process list).
 */
export function registerUserCommands(program: Command, cli: CliContext): void {
  // The running server's address (found through its data folder), as the server prints its own link.
  const publicUrl = () => cli.env['SYNCWARDEN_PUBLIC_URL'] || cli.serverUrl().replace('://127.0.0.1', '://localhost');
  const printUsers = (users: UserView[], json?: boolean) => {
    if (json) return cli.out(JSON.stringify(users, null, 2));
    cli.out(table(['email', 'name', 'role', 'state', 'password', 'last sign-in'], users.map((u) => [u.email, u.displayName, u.role, u.disabled ? 'disabled' : 'active', u.hasPassword ? 'set' : 'link only', u.lastSignInAt ?? 'never'])));
  };
  const newPassword = (): string | undefined => cli.env['SYNCWARDEN_NEW_PASSWORD'] || undefined;
  async function remoteUserId(email: string): Promise<string> {
    const { users } = await cli.callApi<{ users: UserView[] }>('GET', '/users');
    const u = users.find((x) => x.email === email.toLowerCase());
    if (!u) throw new AppError('request.not_found', { entity: 'user', id: email });
    return u.id;
  }
  async function localUserId(rt: Parameters<Parameters<CliContext['withRuntime']>[0]>[0]['rt'], email: string): Promise<string> {
    const u = await findUserByEmail(rt, email);
    if (!u) throw new AppError('request.not_found', { entity: 'user', id: email });
    return u.id;
  }

  const users = program.command('users').description('people who sign in: create, list, reset-password, disable, enable, set-role');
  users.command('list').description('users with their role, state and last sign-in').option('--json', 'JSON output')
    .option('--tenant <id>', 'the organisation (on the data folder; remotely the token\'s organisation)', DEFAULT_TENANT)
    .action(async (o: { json?: boolean; tenant: string }) => {
      if (cli.remote) return printUsers((await cli.callApi<{ users: UserView[] }>('GET', '/users')).users, o.json);
      await cli.withRuntime(async ({ rt }) => printUsers(await userViews(rt, (await tenantView(rt, o.tenant.toLowerCase())).id), o.json));
    });
  users.command('create <email>').description('create a user; without SYNCWARDEN_NEW_PASSWORD prints a one-time sign-in link')
    .requiredOption('--role <role>', 'owner | admin | operator | viewer | reviewer').option('--name <name>', 'display name')
    .option('--tenant <id>', 'the organisation to add them to (on the data folder; remotely the token\'s organisation); an existing account joins it with the role', DEFAULT_TENANT)
    .action(async (email: string, o: { role: string; name?: string; tenant: string }) => {
      const body = { email, role: o.role, ...(o.name ? { displayName: o.name } : {}), ...(newPassword() ? { password: newPassword() } : {}) };
      if (cli.remote) {
        const r = await cli.callApi<{ user: UserView; signInLink: string | null }>('POST', '/users', body);
        cli.out(`Created ${r.user.email} (${r.user.role}).`);
        if (r.signInLink) cli.out(`One-time sign-in link (24 hours): ${r.signInLink}`);
        return;
      }
      await cli.withRuntime(async ({ rt }) => {
        const tenant = (await tenantView(rt, o.tenant.toLowerCase())).id;
        const user = await createUser(rt, tenant, body, null);
        cli.out(user.existingAccount ? `Added ${user.email} to ${tenant} (${user.role}); they sign in with their existing account.` : `Created ${user.email} (${user.role})${tenant === DEFAULT_TENANT ? '' : ` in ${tenant}`}.`);
        if (!user.hasPassword && !user.existingAccount) cli.out(`One-time sign-in link (24 hours): ${signInLinkUrl(publicUrl(), await issueSignInLink(rt, tenant, user.id))}`);
      });
    });
  users.command('reset-password <email>').description('set SYNCWARDEN_NEW_PASSWORD as the password, or print a one-time sign-in link; ends the user\'s sessions and unlocks the account')
    .action(async (email: string) => {
      if (cli.remote) {
        const r = await cli.callApi<{ signInLink: string | null }>('POST', `/users/${await remoteUserId(email)}/reset-password`, newPassword() ? { password: newPassword() } : {});
        cli.out(r.signInLink ? `One-time sign-in link (24 hours): ${r.signInLink}` : `Password of ${email} set.`);
        return;
      }
      await cli.withRuntime(async ({ rt }) => {
        const { link } = await resetPassword(rt, DEFAULT_TENANT, await localUserId(rt, email), newPassword(), null);
        cli.out(link ? `One-time sign-in link (24 hours): ${signInLinkUrl(publicUrl(), link)}` : `Password of ${email} set.`);
      });
    });
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    users.command(`${name} <email>`).description(disabled ? 'disable a user: signs them out everywhere; their API tokens stop working' : 'enable a disabled user again')
      .action(async (email: string) => {
        if (cli.remote) await cli.callApi('PATCH', `/users/${await remoteUserId(email)}`, { disabled });
        else await cli.withRuntime(async ({ rt }) => updateUser(rt, DEFAULT_TENANT, await localUserId(rt, email), { disabled }, null));
        cli.out(`${email} ${disabled ? 'disabled' : 'enabled'}.`);
      });
  }
  users.command('set-role <email> <role>').description('change a user\'s role in the tenant')
    .action(async (email: string, role: string) => {
      if (cli.remote) await cli.callApi('PATCH', `/users/${await remoteUserId(email)}`, { role });
      else await cli.withRuntime(async ({ rt }) => updateUser(rt, DEFAULT_TENANT, await localUserId(rt, email), { role }, null));
      cli.out(`${email} is now ${role}.`);
    });

  const printTokens = (tokens: TokenView[], json?: boolean) => {
    if (json) return cli.out(JSON.stringify(tokens, null, 2));
    cli.out(table(['id', 'name', 'user', 'role', 'state', 'expires', 'last used'], tokens.map((t) => [t.id, t.name, t.userEmail, t.role, t.state, t.expiresAt, t.lastUsedAt ? `${t.lastUsedAt} from ${t.lastUsedAddress ?? '?'}` : 'never'])));
  };
  const tokens = program.command('tokens').description('API tokens: create (shown once), list, revoke');
  tokens.command('list').description('API tokens (every user\'s locally; remotely, your own)').option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      if (cli.remote) return printTokens((await cli.callApi<{ tokens: TokenView[] }>('GET', '/tokens')).tokens, o.json);
      await cli.withRuntime(async ({ rt }) => printTokens(await tokenViews(rt, DEFAULT_TENANT), o.json));
    });
  tokens.command('create <name>').description('make an API token; its secret is printed once')
    .requiredOption('--role <role>', 'the token\'s role (at most the user\'s)').option('--user <email>', 'whose token (locally; remotely it is yours)').option('--days <n>', 'days until it expires (at most 365)', '90')
    .action(async (name: string, o: { role: string; user?: string; days: string }) => {
      const body = { name, role: o.role as Role, expiresInDays: Number(o.days) };
      let token: string;
      if (cli.remote) token = (await cli.callApi<{ token: string }>('POST', '/tokens', body)).token;
      else {
        if (!o.user) throw new AppError('request.invalid', { detail: '--user <email> is needed on the data folder (whose token it is)' });
        token = await cli.withRuntime(async ({ rt }) => (await createApiToken(rt, DEFAULT_TENANT, await localUserId(rt, o.user!), body)).token);
      }
      cli.out(token);
      cli.out('Shown once: keep it in a secret store. Use it as SYNCWARDEN_TOKEN (with SYNCWARDEN_URL) or `Authorization: Bearer …`.');
    });
  tokens.command('revoke <id>').description('revoke an API token')
    .action(async (id: string) => {
      if (cli.remote) await cli.callApi('DELETE', `/tokens/${id}`);
      else await cli.withRuntime(async ({ rt }) => revokeApiToken(rt, DEFAULT_TENANT, id, null));
      cli.out(`Token ${id} revoked.`);
    });

  program.command('api <method> <path> [json]').description('call the API of SYNCWARDEN_URL with SYNCWARDEN_TOKEN (path after /api/v1, e.g. `api GET /policies`)')
    .action(async (method: string, path: string, json?: string) => {
      if (!cli.remote) throw new AppError('request.invalid', { detail: '`syncwarden api` needs SYNCWARDEN_URL and SYNCWARDEN_TOKEN' });
      const r = await cli.callApi(method.toUpperCase(), path, json === undefined ? undefined : JSON.parse(json));
      cli.out(JSON.stringify(r ?? null, null, 2));
    });
}
