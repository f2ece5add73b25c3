import { sql } from 'kysely';
import type { Trx, Where } from './rows.js';

export interface Checks {
  danglingMemberships: number;
  danglingGrants: number;
  /** A few examples, for the admin: 'membership of Finance (g-17) names account u-99 that was not read'. */
  samples: string[];
}

const SAMPLES = 5;

/**
 * Post-sync checks: a membership or grant must name objects the same complete read returned.
 * An account the scope left out is not dangling (dir_excluded knows it). A dangling reference
 * means the provider's picture was inconsistent (changes during the read) or the connection
 * cannot read everything it references; the run is reported with a warning, never silently.
 * `onlyGen`: look only at rows that run wrote (by the generation index) — enough when the run
 * before found nothing dangling, since removals take their references with them.
 */
export async function danglingReferences(db: Trx, w: Where, onlyGen?: number): Promise<Checks> {
  const t = w.tenantId;
  const c = w.connectionId;
  const written = (alias: string) =>
    onlyGen === undefined
      ? sql`1 = 1`
      : sql`${sql.ref(`${alias}.gen`)} = ${onlyGen}`;
  const exists = (table: string, col: string) => sql`EXISTS (SELECT 1 FROM ${sql.table(table)} o WHERE o.tenant_id = ${t} AND o.connection_id = ${c} AND o.external_id = ${sql.ref(col)})`;
  const memberOk = sql`(CASE WHEN m.member_type = 'group' THEN ${exists('dir_groups', 'm.member_id')} ELSE (${exists('dir_accounts', 'm.member_id')} OR ${exists('dir_excluded', 'm.member_id')}) END)`;
  const principalOk = sql`(CASE WHEN g.principal_type = 'group' THEN ${exists('dir_groups', 'g.principal_id')} ELSE (${exists('dir_accounts', 'g.principal_id')} OR ${exists('dir_excluded', 'g.principal_id')}) END)`;

  const badMemberships = sql<{ group_id: string; member_id: string; member_type: string; group_ok: number }>`
    SELECT m.group_id, m.member_id, m.member_type, (CASE WHEN ${exists('dir_groups', 'm.group_id')} THEN 1 ELSE 0 END) AS group_ok
    FROM dir_memberships m
    WHERE m.tenant_id = ${t} AND m.connection_id = ${c} AND ${written('m')} AND NOT (${exists('dir_groups', 'm.group_id')} AND ${memberOk})`;
  const badGrants = sql<{ entitlement_id: string; principal_id: string; principal_type: string; ent_ok: number }>`
    SELECT g.entitlement_id, g.principal_id, g.principal_type, (CASE WHEN ${exists('dir_entitlements', 'g.entitlement_id')} THEN 1 ELSE 0 END) AS ent_ok
    FROM dir_grants g
    WHERE g.tenant_id = ${t} AND g.connection_id = ${c} AND ${written('g')} AND NOT (${exists('dir_entitlements', 'g.entitlement_id')} AND ${principalOk})`;

  const m = w.pg ? await countDanglingPg(db, w, 'memberships', onlyGen) : ((await sql<{ n: number }>`SELECT count(*) AS n FROM (${badMemberships}) x`.execute(db)).rows[0]?.n ?? 0);
  const g = w.pg ? await countDanglingPg(db, w, 'grants', onlyGen) : ((await sql<{ n: number }>`SELECT count(*) AS n FROM (${badGrants}) x`.execute(db)).rows[0]?.n ?? 0);
  const samples: string[] = [];
  if (Number(m) > 0) {
    for (const r of (await sql<{ group_id: string; member_id: string; member_type: string; group_ok: number }>`${badMemberships} LIMIT ${SAMPLES}`.execute(db)).rows) {
      samples.push(Number(r.group_ok) ? `a membership of group ${r.group_id} names ${r.member_type} ${r.member_id}, which was not read` : `a membership names group ${r.group_id}, which was not read`);
    }
  }
  if (Number(g) > 0) {
    for (const r of (await sql<{ entitlement_id: string; principal_id: string; principal_type: string; ent_ok: number }>`${badGrants} LIMIT ${SAMPLES}`.execute(db)).rows) {
      samples.push(Number(r.ent_ok) ? `a grant of ${r.entitlement_id} names ${r.principal_type} ${r.principal_id}, which was not read` : `a grant names entitlement ${r.entitlement_id}, which was not read`);
    }
  }
  return { danglingMemberships: Number(m), danglingGrants: Number(g), samples: samples.slice(0, SAMPLES) };
}

/**
 * The same counts on PostgreSQL as outer joins on the referenced tables' primary keys: the
 * planner hashes a million references against the objects in one pass, where the EXISTS
 * form above runs two or three index probes per reference (seconds after a first sync).
 * Each join matches at most one row (a primary key), so no reference is counted twice.
 */
async function countDanglingPg(db: Trx, w: Where, what: 'memberships' | 'grants', onlyGen?: number): Promise<number> {
  const [table, owner, ownerCol, ref, refType] = what === 'memberships'
    ? (['dir_memberships', 'dir_groups', 'group_id', 'member_id', 'member_type'] as const)
    : (['dir_grants', 'dir_entitlements', 'entitlement_id', 'principal_id', 'principal_type'] as const);
  const on = (alias: string, col: string) => sql`${sql.ref(`${alias}.tenant_id`)} = r.tenant_id AND ${sql.ref(`${alias}.connection_id`)} = r.connection_id AND ${sql.ref(`${alias}.external_id`)} = ${sql.ref(`r.${col}`)}`;
  const isGroup = sql`${sql.ref(`r.${refType}`)} = 'group'`;
  const r = await sql<{ n: number }>`
    SELECT count(*) AS n
    FROM ${sql.table(table)} r
    LEFT JOIN ${sql.table(owner)} o ON ${on('o', ownerCol)}
    LEFT JOIN dir_groups rg ON ${isGroup} AND ${on('rg', ref)}
    LEFT JOIN dir_accounts ra ON NOT ${isGroup} AND ${on('ra', ref)}
    LEFT JOIN dir_excluded rx ON NOT ${isGroup} AND ${on('rx', ref)}
    WHERE r.tenant_id = ${w.tenantId} AND r.connection_id = ${w.connectionId}${onlyGen === undefined ? sql`` : sql` AND r.gen = ${onlyGen}`}
      AND (o.external_id IS NULL OR (CASE WHEN ${isGroup} THEN rg.external_id IS NULL ELSE ra.external_id IS NULL AND rx.external_id IS NULL END))`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
