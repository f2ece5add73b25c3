import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { IdentitiesTable } from '../../store/tables/directory.js';
import { listConnections } from '../../store/connections-repo.js';
import { fromJson } from '../../store/json.js';
import { toCsv } from './csv.js';

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
  offset: z.coerce.number().int().min(0).default(0),
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

/** LIKE with the pattern characters of the admin's text taken literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filtered(rt: Runtime, tenantId: string, f: IdentityFilters) {
  let q = rt.store.db.selectFrom('identities').where('tenant_id', '=', tenantId);
  if (f.q) q = q.where(sql<boolean>`search LIKE ${likePattern(f.q.toLowerCase())} ESCAPE '\\'`);
  // connections_json is a JSON array of ids: the quoted id appears in it exactly when listed.
  if (f.connection) q = q.where(sql<boolean>`connections_json LIKE ${likePattern(JSON.stringify(f.connection))} ESCAPE '\\'`);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.type) q = q.where('identity_type', '=', f.type);
  return q;
}

export async function listIdentities(rt: Runtime, tenantId: string, query: IdentityListQuery): Promise<{ items: IdentityRow[]; total: number }> {
  const refs = await connectionRefs(rt, tenantId);
  const rows = await filtered(rt, tenantId, query).selectAll().orderBy('display_name').orderBy('id').limit(query.limit).offset(query.offset).execute();
  const total = await filtered(rt, tenantId, query).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items: rows.map((r) => viewIdentity(r, refs)), total: Number(total.n) };
}

export const CSV_HEADERS = ['id', 'display name', 'email', 'employee id', 'type', 'status', 'accounts', 'connections', 'updated at'] as const;

/** Every match, no paging: read in pages of 5,000 so a 100,000-identity export stays small in memory per query. */
export async function identitiesCsv(rt: Runtime, tenantId: string, f: IdentityFilters): Promise<string> {
  const refs = await connectionRefs(rt, tenantId);
  const lines: (readonly unknown[])[] = [];
  const page = 5000;
  for (let offset = 0; ; offset += page) {
    const rows = await filtered(rt, tenantId, f).selectAll().orderBy('display_name').orderBy('id').limit(page).offset(offset).execute();
    for (const r of rows) {
      const v = viewIdentity(r, refs);
      lines.push([v.id, v.displayName, v.email, v.employeeId, v.type, v.status, v.accounts, v.connections.map((c) => c.name).join('; '), v.updatedAt]);
    }
    if (rows.length < page) break;
  }
  return toCsv(CSV_HEADERS, lines);
}
