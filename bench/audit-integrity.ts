import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Dialect, type Store } from '../src/store/db.js';
import { createRuntime, type Runtime } from '../src/runtime/context.js';
import { createLogger } from '../src/runtime/logger.js';
import { createSecretBox } from '../src/keys/secret-box.js';
import { masterKey, staticKeyring } from '../src/keys/keyring.js';
import { anchorLog } from '../src/audit/anchors.js';
import { recordAudit, type AuditRow } from '../src/audit/audit.js';
import { GENESIS, HASH_VERSION, hashOf, headMac } from '../src/audit/hash.js';
import { storeAuditMacKeys } from '../src/audit/sealing.js';
import { verifyAudit } from '../src/audit/verify.js';
import { storeCredential } from '../src/connections/credentials.js';
import { rotateKeys } from '../src/keys/rotation.js';
import { newId, nowIso } from '../src/model/ids.js';
import type { BenchArgs } from './run.js';
import { log, round } from './support/measure.js';
import { dropSchema, pgUrlWithSchema } from './support/pg-schema.js';

/**
 * What integrity costs: appends per second with and without the MAC and anchor line, entries
 * per second the verification walks (the daily check), and secrets per second a key rotation
 * re-encrypts. `--entries` (default 100,000) sizes the log verified, `--secrets` (default 5,000)
 * the secrets rotated, `--db sqlite|postgres|both`.
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>[]> {
  const dbs: Dialect[] = args['db'] === 'both' ? ['sqlite', 'postgres'] : [args['db'] === 'postgres' ? 'postgres' : 'sqlite'];
  const out: Record<string, unknown>[] = [];
  for (const dialect of dbs) out.push(await one(dialect, Number(args['entries'] ?? 100_000), Number(args['secrets'] ?? 5_000)));
  return out;
}

async function one(dialect: Dialect, entries: number, secrets: number): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-audit-'));
  let schema: string | undefined;
  let url: string | undefined;
  if (dialect === 'postgres') ({ url, schema } = await pgUrlWithSchema('bench'));
  const store = await openStore({ databaseUrl: url, dataDir });
  try {
    const key = masterKey(randomBytes(32));
    const runtime = (anchored: boolean) => createRuntime({ store, secrets: createSecretBox(staticKeyring([key])), log: createLogger('silent'), auditAnchors: anchored ? anchorLog(join(dataDir, 'audit-anchors.jsonl')) : null });
    let rt = runtime(true);
    await storeAuditMacKeys(store.db, rt.auditSealer);

    // Unsigned baseline: the same appends through a database handle with no sealer bound to it.
    // Warmed up, then alternating rounds (the machine is shared: order and load would skew one
    // long run of each), the median of each kind.
    const bare = await openStore({ databaseUrl: url, dataDir });
    const unsignedRt = { ...rt, store: bare };
    await appendRate(rt, 'signed', 300);
    await appendRate(unsignedRt, 'unsigned', 300);
    const rates = { signed: [] as number[], unsigned: [] as number[] };
    for (let round = 0; round < 5; round++) {
      rates.signed.push(await appendRate(rt, 'signed', 500));
      rates.unsigned.push(await appendRate(unsignedRt, 'unsigned', 500));
    }
    await bare.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const signed = median(rates.signed);
    const unsigned = median(rates.unsigned);
    log(`${dialect}: appends ${round(signed)}/s signed and anchored, ${round(unsigned)}/s without`);

    log(`${dialect}: writing a ${entries}-entry log`);
    await bulkLog(store, key.id, rt.auditSealer.signingKey().key, 'big', entries);
    let started = Date.now();
    const report = await verifyAudit(store.db, rt.auditSealer, 'big');
    const verifySeconds = (Date.now() - started) / 1000;
    if (!report.ok || report.entries !== entries) throw new Error(`the benchmark log did not verify: ${JSON.stringify(report.firstBroken)}`);
    log(`${dialect}: verified ${entries} entries in ${round(verifySeconds)} s`);

    for (let i = 0; i < secrets; i++) {
      await storeCredential(rt, 'default', `conn_${i}`, { method: 'client_secret', meta: {}, secret: { clientSecret: `secret-${i}-${randomBytes(8).toString('hex')}` }, expiresAt: null, issuedAt: null }, 'current', 'bench');
    }
    rt = createRuntime({ store, secrets: createSecretBox(staticKeyring([masterKey(randomBytes(32)), key])), log: createLogger('silent'), auditAnchors: null });
    started = Date.now();
    const r = await rotateKeys(rt, { newKey: false, holderId: 'bench', batchSize: 100 });
    const rotateSeconds = (Date.now() - started) / 1000;
    log(`${dialect}: re-encrypted ${r.reencrypted} secrets in ${round(rotateSeconds)} s`);
    return {
      db: dialect,
      appendsPerSecondSigned: round(signed, 0),
      appendsPerSecondUnsigned: round(unsigned, 0),
      signingOverhead: round(unsigned / signed - 1),
      entries,
      verifyEntriesPerSecond: round(entries / verifySeconds, 0),
      verifySeconds: round(verifySeconds, 1),
      secretsRotated: r.reencrypted,
      rotateSecretsPerSecond: round(r.reencrypted / rotateSeconds, 0),
    };
  } finally {
    await store.close();
    if (schema) await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function appendRate(rt: Runtime, tenant: string, n: number): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    await recordAudit(rt.store.db, rt.store.dialect, tenant, { severity: 'info', action: 'sync.user_synced', actor: 'system', target: { type: 'sync_user', id: `su_${i}`, name: `user${i}@example.test` }, message: `user${i}@example.test: 12 items imported` });
  }
  return n / ((Date.now() - started) / 1000);
}

/** A long, valid log written in batches (what years of recordAudit would leave), for the verification figure. */
async function bulkLog(store: Store, kid: string, macKey: Buffer, tenant: string, n: number): Promise<void> {
  let prev = GENESIS;
  const at0 = Date.now() - n * 1000;
  for (let from = 1; from <= n; from += 1_000) {
    const rows: AuditRow[] = [];
    for (let seq = from; seq < Math.min(from + 1_000, n + 1); seq++) {
      const row: AuditRow = {
        tenant_id: tenant, id: newId('aud', at0 + seq * 1000), seq, at: nowIso(at0 + seq * 1000), severity: 'info', action: 'sync.user_synced', actor: 'system',
        target_type: 'sync_user', target_id: `su_${seq}`, target_name: `user${seq}@example.test`, message: `user${seq}@example.test: 12 items imported`, code: null, params_json: null,
        prev_hash: prev, hash_version: HASH_VERSION, hash: '', mac_kid: kid, mac: null, actor_address: null, actor_agent: null,
      };
      row.hash = hashOf(row);
      row.mac = headMac(macKey, tenant, seq, row.hash);
      prev = row.hash;
      rows.push(row);
    }
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 100) await trx.insertInto('audit_events').values(rows.slice(i, i + 100)).execute();
    });
  }
  await store.db.insertInto('audit_heads').values({ tenant_id: tenant, seq: n, hash: prev, legacy_seq: 0 }).execute();
}
