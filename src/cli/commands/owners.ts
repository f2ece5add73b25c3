import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { remoteConnectionId as remoteConnection } from '../remote-connection.js';
import type { Runtime } from '../../runtime/context.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { AppError } from '../../errors/index.js';
import { resolveConnection } from '../resolve.js';
import { findUserByEmail } from '../../auth/users.js';
import { table } from '../table.js';
import { getOwners, listOwners, setOwners, type ResourceOwnersView } from '../../campaigns/owners.js';

const T = DEFAULT_TENANT;
const LOCAL_ACTOR = 'admin';

function rows(views: readonly ResourceOwnersView[]): string[][] {
  return views.map((v) => [v.resourceId, v.resourceName, v.resourceType, v.owners.map((o) => o.email || o.displayName).join(', ') || '-', v.reported.map((r) => r.name).join(', ') || '-']);
}
const HEAD = ['resource', 'name', 'type', 'owners set in Syncwarden', 'owners reported by the provider'];

/**
 * `syncwarden owners list|set|remove`: owners of a directory connection's groups and roles set
 * in Syncwarden (campaigns' owner reviewer mode), locally on the data folder or remotely
 * through the API. Users by email or id; resources by their id in the provider.
 */
export function registerOwnerCommands(program: Command, cli: CliContext): void {
  const c = program.command('owners').description('owners of groups and roles set in Syncwarden (campaigns\' owner reviewers): list, set, remove');
  const enc = encodeURIComponent;

  const remoteConnectionId = (key: string): Promise<string> => remoteConnection(cli, key);

  async function remoteUserIds(keys: readonly string[]): Promise<string[]> {
    const { people } = await cli.callApi<{ people: { userId: string; email: string }[] }>('GET', '/reviews/reviewers');
    return keys.map((k) => {
      const hit = people.find((p) => p.email === k.toLowerCase() || p.userId === k);
      if (!hit) throw new AppError('request.not_found', { entity: 'user', id: k });
      return hit.userId;
    });
  }
  async function localUserIds(rt: Runtime, keys: readonly string[]): Promise<string[]> {
    return Promise.all(keys.map(async (k) => {
      if (!k.includes('@')) return k;
      const u = await findUserByEmail(rt, k);
      if (!u) throw new AppError('request.not_found', { entity: 'user', id: k });
      return u.id;
    }));
  }
  const path = (conn: string, resource: string) => `/connections/${enc(conn)}/resources/${enc(resource)}/owners`;
  const print = (views: ResourceOwnersView[], json?: boolean) => (json ? cli.out(JSON.stringify(views.length === 1 ? views[0] : { items: views }, null, 2)) : cli.out(table(HEAD, rows(views))));

  c.command('list <connection> [resource]').description('groups and roles with owners set in Syncwarden (or one resource, with the owners the provider reports)').option('--json', 'JSON output')
    .action(async (connKey: string, resource: string | undefined, o: { json?: boolean }) => {
      if (cli.remote) {
        const conn = await remoteConnectionId(connKey);
        const views = resource ? [await cli.callApi<ResourceOwnersView>('GET', path(conn, resource))] : (await cli.callApi<{ items: ResourceOwnersView[] }>('GET', `/connections/${enc(conn)}/owners`)).items;
        return print(views, o.json);
      }
      const views = await cli.withRuntime(async ({ rt }) => {
        const conn = await resolveConnection(rt, T, connKey);
        return resource ? [await getOwners(rt, T, conn, resource)] : (await listOwners(rt, T, conn)).items;
      });
      print(views, o.json);
    });

  c.command('set <connection> <resource> <users...>').description('replace the owners set in Syncwarden for a group or role (users by email or id); audited').option('--json', 'JSON output')
    .action(async (connKey: string, resource: string, users: string[], o: { json?: boolean }) => {
      const view = cli.remote
        ? await cli.callApi<ResourceOwnersView>('PUT', path(await remoteConnectionId(connKey), resource), { userIds: await remoteUserIds(users) })
        : await cli.withRuntime(async ({ rt }) => setOwners(rt, T, await resolveConnection(rt, T, connKey), resource, { userIds: await localUserIds(rt, users) }, LOCAL_ACTOR));
      print([view], o.json);
    });

  c.command('remove <connection> <resource> [users...]').description('take these owners off the ones set in Syncwarden (all of them without users); audited').option('--json', 'JSON output')
    .action(async (connKey: string, resource: string, users: string[], o: { json?: boolean }) => {
      if (cli.remote) {
        const conn = await remoteConnectionId(connKey);
        const gone = new Set(await remoteUserIds(users));
        const now = await cli.callApi<ResourceOwnersView>('GET', path(conn, resource));
        const keep = users.length === 0 ? [] : now.owners.map((p) => p.userId).filter((id) => !gone.has(id));
        return print([await cli.callApi<ResourceOwnersView>('PUT', path(conn, resource), { userIds: keep })], o.json);
      }
      const view = await cli.withRuntime(async ({ rt }) => {
        const conn = await resolveConnection(rt, T, connKey);
        const gone = new Set(await localUserIds(rt, users));
        const now = await getOwners(rt, T, conn, resource);
        const keep = users.length === 0 ? [] : now.owners.map((p) => p.userId).filter((id) => !gone.has(id));
        return setOwners(rt, T, conn, resource, { userIds: keep }, LOCAL_ACTOR);
      });
      print([view], o.json);
    });
}
