import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { IdentitiesTable } from '../../store/tables/directory.js';
import { listConnections } from '../../store/connections-repo.js';
import { fromJson } from '../../store/json.js';
import { toCsv } from './csv.js';
import { likePattern, searchCount, searchPage, textMatches } from '../../store/text-search.js';
import { after, countUpTo, cursorField, decodeCursor, page } from '../../store/keyset.js';

/**
 * The identity list: search, filters, paging and a total, and the CSV export of every match.
 * Search runs on the lower-cased `search` column correlation writes (names, emails, user
 * names, employee ids of every account), so one LIKE answers it on both databases.
 */
export const identityFiltersSchema = z.object({
  q: z.string().trim().max(200).optional(),
  connection: z.string().min(1).optional(),
  status: z.enum(['active', 'disabled']).optional(),
  type: z.enum(['person', 'guest', 'service']).optional(),
});
export const identityListSchema = identityFiltersSchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  /** Keyset (src/store/keyset.ts): the (display name, id) of the previous page's last row. */
  cursor: cursorField,
});
export type IdentityFilters = z.infer<typeof identityFiltersSchema>;
export type IdentityListQuery = z.infer<typeof identityListSchema>;

export interface ConnectionRef {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
}

export interface IdentityRow {
  readonly id: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly employeeId: string | null;
  readonly type: string;
  readonly status: string;
  readonly accounts: number;
  readonly connections: ConnectionRef[];
  readonly updatedAt: string;
}

export type IdentityRecord = Selectable<IdentitiesTable>;

export async function connectionRefs(rt: Runtime, tenantId: string): Promise<Map<string, ConnectionRef>> {
  return new Map((await listConnections(rt.store.db, tenantId)).map((c) => [c.id, { id: c.id, name: c.name, kind: c.kind }]));
}

export function viewIdentity(row: IdentityRecord, refs: ReadonlyMap<string, ConnectionRef>): IdentityRow {
  return {
    id: row.id,
    displayName: row.display_name,
    email: row.email,
    employeeId: row.employee_id,
    type: row.identity_type,
    status: row.status,
    accounts: Number(row.accounts),
    connections: fromJson<string[]>(row.connections_json, []).map((id) => refs.get(id) ?? { id, name: '(deleted connection)', kind: 'unknown' }),
    updatedAt: row.updated_at,
  };
}


function filtered(rt: Runtime, tenantId: string, f: IdentityFilters) {
  const q = unsearched(rt, tenantId, f);
  return f.q?.trim() ? q.where(textMatches(rt.store.db, 'identities', f.q)) : q;
}

/** The filters but the search (searchPage adds the search its own way). */
function unsearched(rt: Runtime, tenantId: string, f: IdentityFilters) {
  let q = rt.store.db.selectFrom('identities').where('tenant_id', '=', tenantId);
  // connections_json is a JSON array of ids: the quoted id appears in it exactly when listed.
  if (f.connection) q = q.where(sql<boolean>`connections_json LIKE ${likePattern(JSON.stringify(f.connection))} ESCAPE '\\'`);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.type) q = q.where('identity_type', '=', f.type);
  return q;
}

export async function listIdentities(rt: Runtime, tenantId: string, query: IdentityListQuery): Promise<{ items: IdentityRow[]; total: number; totalExact: boolean; nextCursor: string | null }> {
  const refs = await connectionRefs(rt, tenantId);
  const search = query.q?.trim();
  // The page and the total at once: on PostgreSQL they run on two connections side by side.
  const [fetched, { total, exact }] = await Promise.all([
    pageOf(rt, tenantId, query, query.cursor, query.limit + 1),
    search
      ? searchCount(rt.store.db, 'identities', search, () => unsearched(rt, tenantId, query), undefined, query.connection || query.status || query.type ? undefined : tenantId)
      : countUpTo(rt.store.db, filtered(rt, tenantId, query).selectAll()),
  ]);
  const { rows, nextCursor } = page(fetched, query.limit, (r) => [r.display_name, r.id]);
  return { items: rows.map((r) => viewIdentity(r, refs)), total, totalExact: exact, nextCursor };
}

/** `take` rows in (name, id) order after `cursor`; a search goes through searchPage. */
async function pageOf(rt: Runtime, tenantId: string, f: IdentityFilters, cursor: string | undefined, take: number): Promise<IdentityRecord[]> {
  const search = f.q?.trim();
  if (search) return searchPage<IdentityRecord>(rt.store.db, 'identities', search, take, cursor ? decodeCursor(cursor, 2) : undefined, () => unsearched(rt, tenantId, f), { tenantOnly: f.connection || f.status || f.type ? undefined : tenantId });
  return pageAfter(filtered(rt, tenantId, f).selectAll(), cursor).orderBy('display_name').orderBy('id').limit(take).execute();
}

function pageAfter<Q extends { where: (e: ReturnType<typeof after>) => Q }>(q: Q, cursor: string | undefined): Q {
  return cursor ? q.where(after(['display_name', 'id'], decodeCursor(cursor, 2))) : q;
}

export const CSV_HEADERS = ['id', 'display name', 'email', 'employee id', 'type', 'status', 'accounts', 'connections', 'updated at'] as const;

/** Every match, no paging: read in pages of 5,000 so a 100,000-identity export stays small in memory per query. */
export async function identitiesCsv(rt: Runtime, tenantId: string, f: IdentityFilters): Promise<string> {
  const refs = await connectionRefs(rt, tenantId);
  const lines: (readonly unknown[])[] = [];
  const PAGE = 5000;
  for (let cursor: string | undefined; ; ) {
    const fetched = await pageOf(rt, tenantId, f, cursor, PAGE + 1);
    const { rows, nextCursor } = page(fetched, PAGE, (r) => [r.display_name, r.id]);
    for (const r of rows) {
      const v = viewIdentity(r, refs);
      lines.push([v.id, v.displayName, v.email, v.employeeId, v.type, v.status, v.accounts, v.connections.map((c) => c.name).join('; '), v.updatedAt]);
    }
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return toCsv(CSV_HEADERS, lines);
}
