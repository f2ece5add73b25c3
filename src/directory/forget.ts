import { sql } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { enqueue } from '../engine/jobs.js';
import { newId, nowIso } from '../model/ids.js';
import type { Trx } from './sync/rows.js';
import { CORRELATE_DEDUPE, CORRELATE_JOB } from './correlation/rules.js';

/**
 * What a deleted connection leaves behind in the identity inventory: its accounts, groups,
 * memberships, entitlements, grants and credentials seen (removed, or archived on request),
 * its sync bookkeeping (pages, runs, state), and the identities that had no account elsewhere.
 * A deleted connection's rows must not stay as "(deleted connection)" access nobody can review.
 */
const INVENTORY_TABLES = ['dir_accounts', 'dir_groups', 'dir_memberships', 'dir_entitlements', 'dir_grants', 'dir_credentials', 'dir_excluded'] as const;
const BOOKKEEPING_TABLES = ['dir_pages', 'dir_runs', 'dir_state'] as const;
/** Each table's primary key after (tenant, connection): the archive reads in that order. */
const ORDER: Record<(typeof INVENTORY_TABLES)[number], string> = {
  dir_accounts: 'external_id',
  dir_groups: 'external_id',
  dir_memberships: 'group_id, member_id',
  dir_entitlements: 'external_id',
  dir_grants: 'entitlement_id, principal_id',
  dir_credentials: 'external_id',
  dir_excluded: 'external_id',
};
const ARCHIVE_CHUNK = 1_000;
const ID_CHUNK = 500;

export interface ForgetOptions {
  readonly archive: boolean;
  readonly actor: string;
  readonly name: string;
  readonly kind: string;
}

export interface Forgotten {
  /** Rows removed per inventory table. */
  readonly counts: Record<string, number>;
  /** Sync runs that were queued, running or throttled (now cancelled). */
  readonly cancelledRuns: number;
  /** Identities removed because the deleted connection held their only accounts. */
  readonly identitiesRemoved: number;
  readonly archiveId: string | null;
}

export async function forgetConnectionInventory(rt: Runtime, trx: Trx, tenantId: string, connectionId: string, opts: ForgetOptions): Promise<Forgotten> {
  const identityIds = (
    await trx.selectFrom('dir_accounts').select('identity_id').distinct().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('identity_id', 'is not', null).execute()
  ).map((r) => r.identity_id as string);
  const cancelledRuns = (
    await trx.selectFrom('dir_runs').select('id').where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('status', 'in', ['queued', 'running', 'throttled']).execute()
  ).length;

  let archiveId: string | null = null;
  if (opts.archive) {
    archiveId = newId('arch', rt.now());
    for (const table of INVENTORY_TABLES) {
      // Chunks in a stable order, so an archive of a large inventory is read in bounded pieces.
      for (let chunk = 0; ; chunk++) {
        const rows = await trx
          .selectFrom(table)
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('connection_id', '=', connectionId)
          .orderBy(sql.raw(ORDER[table]))
          .limit(ARCHIVE_CHUNK)
          .offset(chunk * ARCHIVE_CHUNK)
          .execute();
        if (rows.length === 0) break;
        await trx.insertInto('connection_archive_rows').values({ tenant_id: tenantId, archive_id: archiveId, table_name: table, chunk, rows_json: JSON.stringify(rows) }).execute();
        if (rows.length < ARCHIVE_CHUNK) break;
      }
    }
  }

  const counts: Record<string, number> = {};
  for (const table of [...INVENTORY_TABLES, ...BOOKKEEPING_TABLES]) {
    const r = await trx.deleteFrom(table).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).executeTakeFirst();
    if ((INVENTORY_TABLES as readonly string[]).includes(table)) counts[table] = Number(r.numDeletedRows);
  }
  if (archiveId) {
    await trx
      .insertInto('connection_archives')
      .values({ tenant_id: tenantId, id: archiveId, connection_id: connectionId, connection_name: opts.name, connection_kind: opts.kind, counts_json: JSON.stringify(counts), archived_at: nowIso(rt.now()), archived_by: opts.actor })
      .execute();
  }

  let identitiesRemoved = 0;
  for (let i = 0; i < identityIds.length; i += ID_CHUNK) {
    const chunk = identityIds.slice(i, i + ID_CHUNK);
    const r = await trx
      .deleteFrom('identities')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', chunk)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('dir_accounts').select('dir_accounts.external_id').where('dir_accounts.tenant_id', '=', tenantId).whereRef('dir_accounts.identity_id', '=', 'identities.id'))))
      .executeTakeFirst();
    identitiesRemoved += Number(r.numDeletedRows);
  }
  // The identities that keep accounts elsewhere count and list connections: recomputed by the
  // correlation job, as after any sync.
  if (identityIds.length > identitiesRemoved) await enqueue(trx, tenantId, { kind: CORRELATE_JOB, dedupeKey: CORRELATE_DEDUPE, payload: {} }, rt.now());
  return { counts, cancelledRuns, identitiesRemoved, archiveId };
}
