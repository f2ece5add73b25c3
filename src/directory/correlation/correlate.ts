import { sql, type Kysely, type Transaction } from 'kysely';
import type { Runtime } from '../../runtime/context.js';
import type { Database } from '../../store/schema.js';
import { newId, nowIso } from '../../model/ids.js';
import { fromJson, toJson } from '../../store/json.js';
import { DEFAULT_RULES, loadCorrelationSettings } from './rules.js';
import { linkAccounts } from './link.js';
import { classifyAccount } from '../identities/classify.js';
import { assembleIdentities, type CorrelationAccount, type IdentityDraft } from './assemble.js';
import type { IdentitiesTable } from '../../store/schema.js';
import { unnestSource, unnestUpsert, type ArrayColumn } from '../../store/bulk.js';

/**
 * Recomputes the tenant's identities from every account of its directory connections: read
 * everything once, link in memory (link.ts), then write only what changed, in batches. A
 * recomputation with nothing new writes nothing but `correlated_at`; the first one over
 * 100,000 accounts is a few hundred batched statements.
 *
 * Writes go in small transactions in an order that never leaves an account pointing at a
 * missing identity: identities first, then accounts, then the identities left with none.
 * Short transactions keep SQLite's single writer free for a sync running meanwhile.
 */
export interface CorrelationResult {
  readonly accounts: number;
  readonly identities: number;
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly accountsRelinked: number;
  readonly correlatedAt: string;
  readonly durationMs: number;
}

const ROWS_PER_INSERT = 400; // 12 columns: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters
const ROWS_PER_UPDATE = 1000;
const STATEMENTS_PER_TRANSACTION = 8;
/** PostgreSQL: rows per unnest statement (no parameter limit; bounds one statement's memory and lock time). */
const PG_ROWS_PER_STATEMENT = 5_000;

export async function correlateIdentities(rt: Runtime, tenantId: string): Promise<CorrelationResult> {
  const started = Date.now();
  const db = rt.store.db;
  const { rules } = await loadCorrelationSettings(rt, tenantId);
  const rows = await db
    .selectFrom('dir_accounts as a')
    .innerJoin('connections as c', (j) => j.onRef('c.tenant_id', '=', 'a.tenant_id').onRef('c.id', '=', 'a.connection_id'))
    .where('a.tenant_id', '=', tenantId)
    .where('c.role', '=', 'directory')
    .select(['a.connection_id', 'a.external_id', 'a.account_type', 'a.user_name', 'a.email', 'a.display_name', 'a.given_name', 'a.family_name', 'a.attributes_json', 'a.employee_id', 'a.enabled', 'a.identity_id', 'a.match_json', 'a.first_seen_at'])
    // Deterministic order: the same data links and names the same way on every run.
    .orderBy('a.connection_id')
    .orderBy('a.external_id')
    .execute();
  const accounts: CorrelationAccount[] = rows.map((r) => ({
    connectionId: r.connection_id,
    externalId: r.external_id,
    // A service account created as an ordinary user is a service by the providers' evidence
    // (identities/classify.ts), so an identity of it is not counted as a person.
    accountType: classifyAccount({ accountType: r.account_type, userName: r.user_name, email: r.email, employeeId: r.employee_id, displayName: r.display_name, givenName: r.given_name, familyName: r.family_name, attributes: fromJson<Record<string, unknown>>(r.attributes_json, {}) }).type,
    userName: r.user_name,
    email: r.email,
    displayName: r.display_name,
    employeeId: r.employee_id,
    enabled: Number(r.enabled) === 1,
    identityId: r.identity_id,
    firstSeenAt: r.first_seen_at,
  }));
  const existing = await db.selectFrom('identities').selectAll().where('tenant_id', '=', tenantId).execute();
  const existingById = new Map(existing.map((e) => [e.id, e]));
  // An admin's override of an identity's type wins over the evidence (identities/type-override.ts).
  const overrides = new Map((await db.selectFrom('identity_type_overrides').select(['identity_id', 'identity_type']).where('tenant_id', '=', tenantId).execute()).map((o) => [o.identity_id, o.identity_type]));
  const nowMs = rt.now();
  const now = nowIso(nowMs);

  const assembled = assembleIdentities(accounts, linkAccounts(accounts, rules), new Map(existing.map((e) => [e.id, e.created_at])), () => newId('idn', nowMs));

  const upserts: IdentityRowValues[] = [];
  let created = 0;
  for (const d of assembled.identities) {
    const row = toRow(tenantId, d, existingById.get(d.id)?.created_at ?? now, now, overrides.get(d.id));
    const old = existingById.get(d.id);
    if (!old) created++;
    if (!old || changed(old, row)) upserts.push(row);
  }
  const relinks: [string, string, string, string | null][] = [];
  assembled.assignments.forEach((a, i) => {
    const match = a.match ? toJson(a.match) : null;
    const r = rows[i]!;
    if (r.identity_id !== a.identityId || r.match_json !== match) relinks.push([r.connection_id, r.external_id, a.identityId, match]);
  });
  const keep = new Set(assembled.identities.map((d) => d.id));
  const gone = existing.filter((e) => !keep.has(e.id)).map((e) => e.id);

  const statements: ((trx: Transaction<Database>) => Promise<unknown>)[] = [];
  // PostgreSQL takes a batch as one array per column (store/bulk.ts): bigger batches, one statement each.
  const pg = rt.store.dialect === 'postgres';
  for (const batch of chunks(upserts, pg ? PG_ROWS_PER_STATEMENT : ROWS_PER_INSERT)) statements.push((trx) => (pg ? upsertIdentitiesPg(trx, tenantId, batch) : upsertIdentities(trx, batch)));
  for (const batch of chunks(relinks, pg ? PG_ROWS_PER_STATEMENT : ROWS_PER_UPDATE)) statements.push((trx) => (pg ? relinkAccountsPg(trx, tenantId, batch) : relinkAccounts(trx, tenantId, batch)));
  for (const batch of chunks(gone, ROWS_PER_UPDATE)) statements.push((trx) => trx.deleteFrom('identities').where('tenant_id', '=', tenantId).where('id', 'in', batch).execute());
  for (const group of chunks(statements, STATEMENTS_PER_TRANSACTION)) {
    await db.transaction().execute(async (trx) => {
      for (const s of group) await s(trx);
    });
  }
  await markCorrelated(db, tenantId, now);

  const result: CorrelationResult = {
    accounts: accounts.length,
    identities: assembled.identities.length,
    created,
    updated: upserts.length - created,
    deleted: gone.length,
    accountsRelinked: relinks.length,
    correlatedAt: now,
    durationMs: Date.now() - started,
  };
  rt.log.info({ tenantId, ...result }, 'identities correlated');
  return result;
}

/** An identities row as written (the table's own type). */
type IdentityRowValues = IdentitiesTable;

function toRow(tenantId: string, d: IdentityDraft, createdAt: string, now: string, typeOverride?: string): IdentityRowValues {
  return {
    tenant_id: tenantId,
    id: d.id,
    display_name: d.displayName,
    email: d.email,
    employee_id: d.employeeId,
    identity_type: typeOverride ?? d.identityType,
    status: d.status,
    accounts: d.accounts,
    connections_json: toJson(d.connectionIds),
    search: d.search,
    created_at: createdAt,
    updated_at: now,
  };
}

const COMPARED = ['display_name', 'email', 'employee_id', 'identity_type', 'status', 'connections_json', 'search'] as const;

function changed(old: Record<(typeof COMPARED)[number] | 'accounts', unknown>, row: IdentityRowValues): boolean {
  return Number(old.accounts) !== row.accounts || COMPARED.some((k) => (old[k] ?? null) !== row[k]);
}

async function upsertIdentities(trx: Transaction<Database>, rows: IdentityRowValues[]): Promise<void> {
  await trx
    .insertInto('identities')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'id']).doUpdateSet((eb) => ({
        display_name: eb.ref('excluded.display_name'),
        email: eb.ref('excluded.email'),
        employee_id: eb.ref('excluded.employee_id'),
        identity_type: eb.ref('excluded.identity_type'),
        status: eb.ref('excluded.status'),
        accounts: eb.ref('excluded.accounts'),
        connections_json: eb.ref('excluded.connections_json'),
        search: eb.ref('excluded.search'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/**
 * One statement per batch: UPDATE … FROM (VALUES …). Both SQLite (≥ 3.33) and PostgreSQL name
 * the columns of a VALUES list column1, column2, …, so the same text runs on both.
 */
async function relinkAccounts(trx: Transaction<Database>, tenantId: string, batch: [string, string, string, string | null][]): Promise<void> {
  const values = sql.join(batch.map(([c, x, i, m]) => sql`(${c}, ${x}, ${i}, ${m})`));
  await sql`UPDATE dir_accounts SET identity_id = v.column3, match_json = v.column4
    FROM (VALUES ${values}) AS v
    WHERE dir_accounts.tenant_id = ${tenantId} AND dir_accounts.connection_id = v.column1 AND dir_accounts.external_id = v.column2`.execute(trx);
}

async function upsertIdentitiesPg(trx: Transaction<Database>, tenantId: string, rows: IdentityRowValues[]): Promise<void> {
  const text = (c: keyof IdentityRowValues): ArrayColumn => ({ name: c, type: 'text', values: rows.map((r) => r[c] as string | null) });
  const updated = ['display_name', 'email', 'employee_id', 'identity_type', 'status', 'accounts', 'connections_json', 'search', 'updated_at'];
  await unnestUpsert(trx, {
    table: 'identities',
    constants: { tenant_id: tenantId },
    arrays: [text('id'), text('display_name'), text('email'), text('employee_id'), text('identity_type'), text('status'), { name: 'accounts', type: 'int4', values: rows.map((r) => r.accounts) }, text('connections_json'), text('search'), text('created_at'), text('updated_at')],
    conflict: ['tenant_id', 'id'],
    update: Object.fromEntries(updated.map((c) => [c, null])),
  });
}

/** UPDATE … FROM unnest(…): the batch as four arrays, joined to the accounts' primary key. */
async function relinkAccountsPg(trx: Transaction<Database>, tenantId: string, batch: [string, string, string, string | null][]): Promise<void> {
  const arrays: ArrayColumn[] = ['connection_id', 'external_id', 'identity_id', 'match_json'].map((name, i) => ({ name, type: 'text', values: batch.map((b) => b[i] ?? null) }));
  await sql`UPDATE dir_accounts SET identity_id = v.identity_id, match_json = v.match_json
    FROM ${unnestSource(arrays, 'v')}
    WHERE dir_accounts.tenant_id = ${tenantId} AND dir_accounts.connection_id = v.connection_id AND dir_accounts.external_id = v.external_id`.execute(trx);
}

async function markCorrelated(db: Kysely<Database>, tenantId: string, now: string): Promise<void> {
  await db
    .insertInto('directory_settings')
    .values({ tenant_id: tenantId, rules_json: toJson(DEFAULT_RULES), correlated_at: now, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ correlated_at: now }))
    .execute();
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
