import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './run.js';
import { PG_URL, dropSchema } from './support/pg-schema.js';
import { log, round } from './support/measure.js';
import { openStore } from '../src/store/db.js';
import { createRuntime } from '../src/runtime/context.js';
import { createSecretBox } from '../src/connections/secret-box.js';
import { createLogger } from '../src/runtime/logger.js';
import { insertConnection } from '../src/store/connections-repo.js';
import type { DirAccountsTable } from '../src/store/tables/directory.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { linkAccounts, type LinkAccount } from '../src/directory/correlation/link.js';
import { DEFAULT_RULES } from '../src/directory/correlation/rules.js';

const T = 'default';
const NOW = '2026-01-01T00:00:00.000Z';

/**
 * correlation: identity correlation over `--accounts` (default 100,000) inventory accounts in two
 * directories — half the second directory's accounts share the first's email, a third share an
 * employee id — per database: the in-memory linking alone (`link_ms`), a first correlation that
 * creates every identity (`first_ms`, `accounts_per_s`) and a second over unchanged accounts,
 * which must write nothing (`second_ms`, `second_writes`). `--db sqlite|postgres|both`.
 * (The tests check the same outcome at this size without timing it.)
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>[]> {
  const dbs = (args['db'] ?? 'sqlite') === 'both' ? ['sqlite', 'postgres'] : [args['db'] ?? 'sqlite'];
  const accounts = Number(args['accounts'] ?? 100_000);
  const out: Record<string, unknown>[] = [];
  for (const db of dbs) out.push(await measure(db as 'sqlite' | 'postgres', accounts));
  return out;
}

function account(connectionId: string, externalId: string, userName: string, employeeId: string | null): DirAccountsTable {
  return {
    tenant_id: T, connection_id: connectionId, external_id: externalId, account_type: 'user', user_name: userName, email: userName,
    display_name: externalId, given_name: null, family_name: null, employee_id: employeeId, enabled: 1, external: 0, source_created_at: null, last_sign_in_at: null,
    attributes_json: '{}', identity_id: null, match_json: null, hash: 'h', page_key: 'users#1', gen: 1, first_seen_at: NOW, updated_at: NOW,
  };
}

async function measure(db: 'sqlite' | 'postgres', accounts: number): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-corr-'));
  const schema = db === 'postgres' ? `b_corr_${Date.now().toString(36)}` : undefined;
  const store = await openStore(db === 'postgres' ? { databaseUrl: PG_URL, pgSchema: schema!, dataDir } : { dataDir });
  try {
    const rt = createRuntime({ store, secrets: createSecretBox(randomBytes(32)), log: createLogger('silent') });
    for (const id of ['entra', 'google']) {
      await insertConnection(store.db, T, {
        id, name: id, kind: 'scim', role: 'directory', config_json: '{}', status: 'active', last_tested_at: null, last_error_json: null, last_findings_json: null,
        last_ok_at: null, write_back: 0, write_back_at: null, write_back_by: null, next_doctor_at: null, created_at: NOW, updated_at: NOW,
      });
    }
    const rows: DirAccountsTable[] = [];
    const half = Math.floor(accounts / 2);
    for (let i = 0; i < half; i++) {
      rows.push(account('entra', `e${i}`, `user${i}@x.test`, i % 3 === 0 ? `E${i}` : null));
      rows.push(account('google', `g${i}`, i % 2 === 0 ? `user${i}@x.test` : `u${i}@google.test`, i % 3 === 0 ? `E${i}` : null));
    }
    for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('dir_accounts').values(rows.slice(i, i + 500)).execute();
    log(`${db}: ${rows.length} accounts written`);

    const linkInput: LinkAccount[] = rows.map((r) => ({ connectionId: r.connection_id, externalId: r.external_id, userName: r.user_name, email: r.email, employeeId: r.employee_id }));
    const t0 = performance.now();
    linkAccounts(linkInput, DEFAULT_RULES);
    const linkMs = performance.now() - t0;

    const first = await correlateIdentities(rt, T);
    const second = await correlateIdentities(rt, T);
    const writes = second.created + second.updated + second.deleted + second.accountsRelinked;
    log(`${db}: first ${first.durationMs} ms, second ${second.durationMs} ms (${writes} writes)`);
    return {
      db, accounts: first.accounts, identities: first.identities,
      link_ms: round(linkMs, 1), first_ms: first.durationMs, accounts_per_s: Math.round(first.accounts / (first.durationMs / 1000)),
      second_ms: second.durationMs, second_writes: writes,
    };
  } finally {
    await store.close();
    if (schema) await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
