import type { Runtime } from '../runtime/context.js';
import { AppError, parseStoredError, renderStored, type RenderedError } from '../errors/index.js';
import { countSyncUsersByStatus, failedItemsOfUser, foldersOfUser, getSyncUser, querySyncUsers, sumImported, type SyncUserRow } from '../store/sync-repo.js';
import { listPolicies } from '../store/policies-repo.js';
import { listConnections } from '../store/connections-repo.js';
import { fromJson } from '../store/json.js';

export const syncStatuses = ['pending', 'initial_sync', 'synced', 'failed', 'excluded'] as const;
export type SyncStatus = (typeof syncStatuses)[number];

export interface SyncUserView {
  id: string;
  policyId: string;
  policyName: string;
  sourceUserId: string;
  email: string;
  displayName: string;
  destinationEmail: string;
  status: SyncStatus;
  exported: number;
  imported: number;
  failedItems: number;
  lastError: RenderedError | null;
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  updatedAt: string;
}

function view(row: SyncUserRow, policyNames: Map<string, string>): SyncUserView {
  return {
    id: row.id,
    policyId: row.policy_id,
    policyName: policyNames.get(row.policy_id) ?? '',
    sourceUserId: row.source_user_id,
    email: row.email,
    displayName: row.display_name,
    destinationEmail: row.destination_email,
    status: row.status as SyncStatus,
    exported: Number(row.exported),
    imported: Number(row.imported),
    failedItems: Number(row.failed_items),
    lastError: renderStored(parseStoredError(row.last_error_json)),
    lastSyncAt: row.last_sync_at,
    nextSyncAt: row.next_sync_at,
    updatedAt: row.updated_at,
  };
}

async function policyNames(rt: Runtime, tenantId: string): Promise<Map<string, string>> {
  return new Map((await listPolicies(rt.store.db, tenantId)).map((p) => [p.id, p.name]));
}

function fullCounts(raw: Record<string, number>): Record<SyncStatus, number> {
  return Object.fromEntries(syncStatuses.map((s) => [s, raw[s] ?? 0])) as Record<SyncStatus, number>;
}

export async function listSyncUsers(
  rt: Runtime,
  tenantId: string,
  q: { status?: string | undefined; policyId?: string | undefined; q?: string | undefined; limit: number; offset: number },
): Promise<{ users: SyncUserView[]; total: number; counts: Record<SyncStatus, number> }> {
  const names = await policyNames(rt, tenantId);
  const { rows, total } = await querySyncUsers(rt.store.db, tenantId, q);
  const counts = fullCounts(await countSyncUsersByStatus(rt.store.db, tenantId, q.policyId));
  return { users: rows.map((r) => view(r, names)), total, counts };
}

export async function syncUserDetail(rt: Runtime, tenantId: string, id: string) {
  const row = await getSyncUser(rt.store.db, tenantId, id);
  if (!row) throw new AppError('request.not_found', { entity: 'user', id });
  const names = await policyNames(rt, tenantId);
  const folders = await foldersOfUser(rt.store.db, tenantId, id);
  const folderNames = new Map(folders.map((f) => [f.source_folder_id, fromJson<string[]>(f.path_json, [f.display_name]).join(' / ')]));
  const failures = await failedItemsOfUser(rt.store.db, tenantId, id);
  return {
    ...view(row, names),
    folders: folders.map((f) => ({
      name: fromJson<string[]>(f.path_json, [f.display_name]).join(' / '),
      phase: f.phase,
      exported: Number(f.exported),
      imported: Number(f.imported),
    })),
    failures: failures.map((i) => ({
      sourceItemId: i.source_item_id,
      folder: folderNames.get(i.source_folder_id) ?? '',
      subject: i.subject,
      size: i.size === null ? null : Number(i.size),
      error: renderStored(parseStoredError(i.error_json)),
      at: i.updated_at,
    })),
  };
}

export async function dashboard(rt: Runtime, tenantId: string) {
  const users = fullCounts(await countSyncUsersByStatus(rt.store.db, tenantId));
  const connections = { active: 0, error: 0, not_tested: 0 };
  for (const c of await listConnections(rt.store.db, tenantId)) {
    if (c.status === 'active' || c.status === 'error' || c.status === 'not_tested') connections[c.status] += 1;
  }
  const policies = await listPolicies(rt.store.db, tenantId);
  return {
    users,
    itemsImported: await sumImported(rt.store.db, tenantId),
    connections,
    policies: { enabled: policies.filter((p) => Number(p.enabled) === 1).length, total: policies.length },
  };
}
