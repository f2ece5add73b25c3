import { AppError } from '../errors/index.js';
import type { CliContext } from './context.js';

/**
 * A connection named on the command line, found through the server's API (remote CLI): by id,
 * then exact name, then a name prefix (case-insensitive), as the local commands find it.
 */
export async function remoteConnectionId(cli: CliContext, key: string): Promise<string> {
  const list = await cli.callApi<{ id: string; name: string }[] | { connections: { id: string; name: string }[] }>('GET', '/connections');
  const rows = Array.isArray(list) ? list : list.connections;
  const hit = rows.find((r) => r.id === key) ?? rows.find((r) => r.name === key) ?? rows.find((r) => r.name.toLowerCase().startsWith(key.toLowerCase()));
  if (!hit) throw new AppError('request.not_found', { entity: 'connection', id: key });
  return hit.id;
}
