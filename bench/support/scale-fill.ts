import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import type { Dialect } from '../../src/store/db.js';

/**
 * Fills a tenant with an installation's worth of rows for the page-latency benchmark
 * (api-latency): sync users with failed items and hourly history, inventory accounts and the
 * identities they correlate into, audit entries. Set-based (`INSERT … SELECT` over a
 * recursive counter, in chunks), so a million rows take seconds — the benchmark measures
 * reads, so the rows only need the shapes and spreads the pages filter on.
 *
 * Audit rows carry placeholder hashes: the chain is not what this measures (audit-integrity
 * is the benchmark for that).
 */
export interface FillSize {
  readonly users: number;
  readonly accounts: number;
  readonly audit: number;
}

const CHUNK = 100_000;
const STATUSES = ['synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'synced', 'initial_sync', 'initial_sync', 'failed', 'throttled', 'pending', 'quarantined', 'blocked', 'excluded'];
const FIRST = ['Ava', 'Ben', 'Chloe', 'Dan', 'Eve', 'Finn', 'Gia', 'Hugo', 'Ivy', 'Jack', 'Kim', 'Leo', 'Mia', 'Noah', 'Olga', 'Pau', 'Quinn', 'Rosa', 'Sam', 'Tara'];
const LAST = ['Smith', 'Jones', 'Garcia', 'Miller', 'Davis', 'Lopez', 'Wilson', 'Moore', 'Clark', 'Hall', 'Young', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Hill', 'Campbell'];
const ACTIONS = ['user.sync_failed', 'connection.tested', 'policy.updated', 'user.provisioned', 'directory.sync_completed', 'auth.signed_in', 'item.retry_requested', 'connection.credential_added'];

export async function fillScale(db: Kysely<Database>, dialect: Dialect, tenantId: string, size: FillSize, log: (m: string) => void): Promise<void> {
  const d = new Sql(dialect);
  const now = new Date().toISOString();
  const t0 = Date.now();
  for (let from = 0; from < size.users; from += CHUNK) {
    const n = Math.min(CHUNK, size.users - from);
    await raw(db, `INSERT INTO sync_users (tenant_id, id, policy_id, source_user_id, email, display_name, given_name, surname, destination_email, destination_user_id,
        status, exported, imported, failed_items, last_error_json, last_sync_at, next_sync_at, created_at, updated_at, throttled_by, consecutive_failures,
        transient_retries, last_attempt_at, destination_created, destination_ready_at, excluded_at, exclusion_reason, delete_after, destination_deleted_at,
        window_start, folders_listed_at, imported_bytes, category_labels_json, cycle_started_at)
      ${d.counter(from, n)}
      SELECT ${lit(tenantId)}, 'su_' || ${d.pad('k', 7)}, 'pol_bench_' || ${d.mod('k', 4)}, 'src_' || k,
        ${d.name('k')} || '.' || k || '@source.test' , ${d.displayName('k')}, ${d.pick(FIRST, 'k')}, ${d.pick(LAST, d.div('k', FIRST.length))},
        lower(${d.pick(FIRST, 'k')}) || '.' || k || '@standby.test', 'g_' || k,
        ${d.pick(STATUSES, d.mod(d.mul('k', 7), STATUSES.length))}, ${d.mod(d.mul('k', 31), 20000)}, ${d.mod(d.mul('k', 29), 20000)},
        CASE WHEN ${d.mod('k', 10)} = 0 THEN 20 ELSE 0 END,
        CASE WHEN ${d.mod(d.mul('k', 7), STATUSES.length)} = 14 THEN '{"code":"google.user_not_found","params":{}}' ELSE NULL END,
        ${lit(now)}, ${lit(now)}, ${lit(now)}, ${lit(now)}, NULL, 0, 0, ${lit(now)}, 1, ${lit(now)}, NULL, NULL, NULL, NULL, NULL, ${lit(now)}, ${d.mod('k', 1000)} * 1000, NULL, NULL
      FROM c`);
  }
  log(`sync users: ${size.users} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Failed items: 20 for every tenth user (the "Failed items" column and the items view).
  const t1 = Date.now();
  const failedUsers = Math.ceil(size.users / 10);
  for (let from = 0; from < failedUsers * 20; from += CHUNK) {
    const n = Math.min(CHUNK, failedUsers * 20 - from);
    await raw(db, `INSERT INTO items (tenant_id, id, sync_user_id, source_item_id, source_folder_id, internet_message_id, destination_item_id, state, subject, size,
        error_json, created_at, updated_at, received_at, labels_json, state_json, draft_id, removed_at, deleted_at, attempts, change_mark)
      ${d.counter(from, n)}
      SELECT ${lit(tenantId)}, 'it_' || k, 'su_' || ${d.pad(d.mul(d.div('k', 20), 10), 7)}, 'msg_' || k, 'inbox', '<' || k || '@bench>', NULL, 'failed', 'Report ' || k, 60000000,
        '{"code":"google.item_too_large","params":{"size":"60 MB"}}', ${lit(now)}, ${lit(now)}, ${lit(now)}, NULL, NULL, NULL, NULL, NULL, 1, NULL
      FROM c`);
  }
  // Thirty days of hourly history (the dashboard's last-24-hours figures read it).
  const hours = Array.from({ length: 30 * 24 }, (_, i) => new Date(Date.now() - i * 3_600_000).toISOString().slice(0, 13));
  for (let i = 0; i < hours.length; i += 200) {
    await db.insertInto('sync_activity').values(hours.slice(i, i + 200).map((hour, j) => ({ tenant_id: tenantId, hour, imported: 1000 + j, changed: 200, deleted: 10, bytes: 50_000_000 }))).execute();
  }
  log(`items and history: ${failedUsers * 20} failed items, ${hours.length} hours in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

  // Inventory: accounts on four connections, two accounts per identity.
  const t2 = Date.now();
  for (let from = 0; from < size.accounts; from += CHUNK) {
    const n = Math.min(CHUNK, size.accounts - from);
    await raw(db, `INSERT INTO dir_accounts (tenant_id, connection_id, external_id, account_type, user_name, email, display_name, given_name, family_name, employee_id,
        enabled, external, source_created_at, last_sign_in_at, attributes_json, identity_id, match_json, hash, page_key, gen, first_seen_at, updated_at)
      ${d.counter(from, n)}
      SELECT ${lit(tenantId)}, 'conn_bench_' || ${d.mod('k', 4)}, 'acc_' || k, CASE WHEN ${d.mod('k', 50)} = 0 THEN 'guest' ELSE 'user' END,
        ${d.name(d.div('k', 2))} || '.' || ${d.div('k', 2)}, ${d.name(d.div('k', 2))} || '.' || ${d.div('k', 2)} || '@corp.test', ${d.displayName(d.div('k', 2))},
        ${d.pick(FIRST, d.div('k', 2))}, ${d.pick(LAST, d.div(d.div('k', 2), FIRST.length))}, 'E' || ${d.div('k', 2)},
        CASE WHEN ${d.mod('k', 25)} = 0 THEN 0 ELSE 1 END, 0, ${lit(now)}, ${lit(now)}, '{}', 'id_' || ${d.pad(d.div('k', 2), 7)}, NULL, 'h' || k, 'bench#' || ${d.div('k', 1000)}, 1, ${lit(now)}, ${lit(now)}
      FROM c`);
  }
  const identities = Math.ceil(size.accounts / 2);
  for (let from = 0; from < identities; from += CHUNK) {
    const n = Math.min(CHUNK, identities - from);
    await raw(db, `INSERT INTO identities (tenant_id, id, display_name, email, employee_id, identity_type, status, accounts, connections_json, search, created_at, updated_at)
      ${d.counter(from, n)}
      SELECT ${lit(tenantId)}, 'id_' || ${d.pad('k', 7)}, ${d.displayName('k')}, ${d.name('k')} || '.' || k || '@corp.test', 'E' || k,
        CASE WHEN ${d.mod('k', 25)} = 0 THEN 'guest' ELSE 'person' END, CASE WHEN ${d.mod('k', 25)} = 0 THEN 'disabled' ELSE 'active' END, 2,
        '["conn_bench_' || ${d.mod(d.mul('k', 2), 4)} || '","conn_bench_' || ${d.mod(d.add(d.mul('k', 2), 1), 4)} || '"]',
        lower(${d.displayName('k')} || ' ' || ${d.name('k')} || '.' || k || '@corp.test e' || k), ${lit(now)}, ${lit(now)}
      FROM c`);
  }
  log(`inventory: ${size.accounts} accounts, ${identities} identities in ${((Date.now() - t2) / 1000).toFixed(1)} s`);

  // Audit: continues the tenant's sequence after what the start wrote.
  const t3 = Date.now();
  const head = await db.selectFrom('audit_events').select((eb) => eb.fn.max<number>('seq').as('m')).where('tenant_id', '=', tenantId).executeTakeFirst();
  const base = Number(head?.m ?? 0) + 1;
  const start = Date.now() - size.audit * 1000;
  for (let from = 0; from < size.audit; from += CHUNK) {
    const n = Math.min(CHUNK, size.audit - from);
    await raw(db, `INSERT INTO audit_events (tenant_id, id, seq, at, severity, action, actor, target_type, target_id, target_name, message, code, params_json,
        prev_hash, hash, hash_version, mac_kid, mac, actor_address, actor_agent)
      ${d.counter(from, n)}
      SELECT ${lit(tenantId)}, 'ev_bench_' || k, ${base} + k, ${d.isoAt(start, 'k')},
        CASE WHEN ${d.mod('k', 20)} = 0 THEN 'error' WHEN ${d.mod('k', 7)} = 0 THEN 'warning' ELSE 'info' END,
        ${d.pick(ACTIONS, d.mod(d.mul('k', 3), ACTIONS.length))}, 'user:owner@localhost', 'user', 'su_' || k, 'user ' || k, 'Bench event ' || k, NULL, NULL,
        'bench', 'bench', 2, NULL, NULL, '127.0.0.1', 'bench'
      FROM c`);
  }
  // Later entries (a request that audits) continue after the filled ones.
  await db.updateTable('audit_heads').set({ seq: base + size.audit - 1, hash: 'bench' }).where('tenant_id', '=', tenantId).execute();
  log(`audit: ${size.audit} entries in ${((Date.now() - t3) / 1000).toFixed(1)} s`);
  // A steady installation's tables have been vacuumed (autovacuum) — visibility map set, so
  // index-only scans stay index-only; a bulk load has not, and would be measured cold.
  await sql.raw(dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE').execute(db);
}

/** A statement built from constants and quoted literals only (never input), run as is. */
async function raw(db: Kysely<Database>, text: string): Promise<void> {
  await sql.raw(text).execute(db);
}

function lit(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** The few expressions that SQLite and PostgreSQL spell differently, as SQL text. */
class Sql {
  constructor(private readonly dialect: Dialect) {}
  /** `WITH RECURSIVE c(k)` counting from `from` for `n` rows. */
  counter(from: number, n: number): string {
    return `WITH RECURSIVE c(k) AS (SELECT ${from} UNION ALL SELECT k + 1 FROM c WHERE k < ${from + n - 1})`;
  }
  mod(x: string, m: number): string {
    return `(${x} % ${m})`;
  }
  mul(x: string, m: number): string {
    return `(${x} * ${m})`;
  }
  add(x: string, m: number): string {
    return `(${x} + ${m})`;
  }
  div(x: string, m: number): string {
    return `(${x} / ${m})`;
  }
  pad(x: string, width: number): string {
    return this.dialect === 'sqlite' ? `printf('%0${width}d', ${x})` : `lpad((${x})::text, ${width}, '0')`;
  }
  pick(values: readonly string[], index: string): string {
    return `(CASE (${index}) % ${values.length} ${values.map((v, i) => `WHEN ${i} THEN ${lit(v)}`).join(' ')} END)`;
  }
  name(k: string): string {
    return `lower(${this.pick(FIRST, k)} || '.' || ${this.pick(LAST, this.div(k, FIRST.length))})`;
  }
  displayName(k: string): string {
    return `(${this.pick(FIRST, this.mod(this.mul(k, 7), FIRST.length))} || ' ' || ${this.pick(LAST, this.mod(this.mul(k, 13), LAST.length))} || ' ' || ${k})`;
  }
  isoAt(startMs: number, k: string): string {
    return this.dialect === 'sqlite'
      ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${Math.floor(startMs / 1000)} + ${k}, 'unixepoch')`
      : `to_char(to_timestamp(${Math.floor(startMs / 1000)} + ${k}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  }
}
