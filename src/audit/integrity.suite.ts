import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/store.js';
import type { Dialect } from '../store/db.js';
import { createRuntime, type Runtime } from '../runtime/context.js';
import { createLogger } from '../runtime/logger.js';
import { createSecretBox } from '../keys/secret-box.js';
import { masterKey, staticKeyring, type MasterKey } from '../keys/keyring.js';
import { prng } from '../sandbox/demo.js';
import { anchorLog } from './anchors.js';
import { recordAudit, type AuditRow } from './audit.js';
import { GENESIS, hashOf, headMac } from './hash.js';
import { storeAuditMacKeys } from './sealing.js';
import { verifyAudit } from './verify.js';
import { applyRetention } from './retention.js';
import { setAuditSettings } from './settings.js';
import { rotateKeys } from '../keys/rotation.js';

/**
 * The audit log against someone who can write the database (but not the master keyring or the
 * data folder's anchor file). Randomized trials: a fresh tenant's log, one tampering of a random
 * kind at a random entry — edited, deleted, swapped, inserted, truncated with the head rolled
 * back, its signatures stripped, forged or moved, or re-hashed from there to the head as someone
 * who knows the algorithm would — and `verifyAudit` must report it and name that entry first.
 * Untouched logs in the same trials must verify (no false alarm).
 */
const KINDS = ['none', 'edit', 'edit_rehash', 'forge_mac', 'move_mac', 'delete', 'delete_rehash', 'swap', 'swap_rehash', 'insert_rehash', 'truncate', 'strip_rehash', 'delete_all', 'head_only'] as const;
type Kind = (typeof KINDS)[number];

export function integritySuite(dialect: Dialect, trials: number): void {
  describe(`audit log integrity on ${dialect}`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>;
    let rt: Runtime;
    let k1: MasterKey;

    const newRuntime = (keys: MasterKey[], anchors = true) =>
      createRuntime({ store, secrets: createSecretBox(staticKeyring(keys)), log: createLogger('silent'), auditAnchors: anchors ? anchorLog(join(store.dataDir, 'audit-anchors.jsonl')) : null });

    beforeAll(async () => {
      store = await openTestStore(dialect);
      k1 = masterKey(randomBytes(32));
      rt = newRuntime([k1]);
      await storeAuditMacKeys(store.db, rt.auditSealer);
    });
    afterAll(async () => store?.close());

    const db = () => store.db;
    const rowsOf = async (t: string): Promise<AuditRow[]> => db().selectFrom('audit_events').selectAll().where('tenant_id', '=', t).orderBy('seq').execute();
    const record = (t: string, i: number, rand: () => number) =>
      recordAudit(db(), store.dialect, t, {
        severity: (['info', 'warning', 'error'] as const)[Math.floor(rand() * 3)]!,
        action: ['connection.tested', 'policy.edited', 'sync.item_failed', 'alerts.channel_created'][Math.floor(rand() * 4)]!,
        actor: rand() < 0.5 ? 'admin' : 'system',
        target: { type: 'connection', id: `conn_${i}`, name: `Contoso “${i}”, Ltd.` },
        message: `event ${i}: ${rand().toString(36)}`,
        ...(rand() < 0.3 ? { code: 'm365.permission_missing' as const, params: { permission: 'Mail.Read', n: i } } : {}),
      });

    // The attacker's tools: plain SQL on the tables, and the hash algorithm (it is in the source).
    const setRow = (t: string, id: string, patch: Partial<AuditRow>) => db().updateTable('audit_events').set(patch).where('tenant_id', '=', t).where('id', '=', id).execute();
    async function rehashFrom(t: string, fromSeq: number, attackerKey: Buffer | null = null): Promise<void> {
      const rows = await rowsOf(t);
      let prev = rows.find((r) => Number(r.seq) === fromSeq - 1)?.hash ?? GENESIS;
      for (const r of rows.filter((x) => Number(x.seq) >= fromSeq)) {
        const next = { ...r, prev_hash: prev };
        next.hash = hashOf(next);
        if (attackerKey) next.mac = headMac(attackerKey, t, Number(r.seq), next.hash);
        await setRow(t, r.id, { prev_hash: next.prev_hash, hash: next.hash, mac: next.mac });
        prev = next.hash;
      }
      const last = (await rowsOf(t)).at(-1);
      await db().updateTable('audit_heads').set({ seq: last ? Number(last.seq) : 0, hash: last?.hash ?? GENESIS }).where('tenant_id', '=', t).execute();
    }
    async function renumber(t: string, fromSeq: number, by: number): Promise<void> {
      const rows = (await rowsOf(t)).filter((r) => Number(r.seq) >= fromSeq);
      // Unique (tenant, seq): move out of the way first, then into place.
      for (const r of rows) await setRow(t, r.id, { seq: -Number(r.seq) - 1000 });
      for (const r of rows) await setRow(t, r.id, { seq: Number(r.seq) + by });
    }

    async function tamper(t: string, kind: Kind, k: number, n: number, rand: () => number): Promise<number | null> {
      const rows = await rowsOf(t);
      const at = (seq: number) => rows.find((r) => Number(r.seq) === seq)!;
      const attackerKey = randomBytes(32);
      switch (kind) {
        case 'none':
          return null;
        case 'edit': {
          const field = (['message', 'actor', 'severity', 'target_name', 'at', 'params_json'] as const)[Math.floor(rand() * 6)]!;
          const value = field === 'at' ? '2020-01-01T00:00:00.000Z' : field === 'severity' ? (at(k).severity === 'info' ? 'error' : 'info') : field === 'params_json' ? '{"permission":"Mail.ReadWrite"}' : `${String(at(k)[field])} (edited)`;
          await setRow(t, at(k).id, { [field]: value });
          return k;
        }
        case 'edit_rehash':
          await setRow(t, at(k).id, { message: 'Nothing happened here' });
          await rehashFrom(t, k);
          return k;
        case 'forge_mac':
          await setRow(t, at(k).id, { actor: 'someone else' });
          await rehashFrom(t, k, attackerKey);
          return k;
        case 'move_mac': {
          // A valid MAC from another entry pasted onto this one.
          const other = at(k === n ? 1 : n);
          if (n === 1) {
            await setRow(t, at(k).id, { mac: null });
            return k;
          }
          await setRow(t, at(k).id, { mac: other.mac });
          return k;
        }
        case 'delete':
          await db().deleteFrom('audit_events').where('tenant_id', '=', t).where('id', '=', at(k).id).execute();
          return k;
        case 'delete_rehash':
          await db().deleteFrom('audit_events').where('tenant_id', '=', t).where('id', '=', at(k).id).execute();
          await renumber(t, k + 1, -1);
          await rehashFrom(t, k);
          return k;
        case 'swap': {
          const a = at(k);
          const b = at(k + 1);
          await setRow(t, a.id, { seq: -1 });
          await setRow(t, b.id, { seq: k });
          await setRow(t, a.id, { seq: k + 1 });
          return k;
        }
        case 'swap_rehash': {
          const a = at(k);
          const b = at(k + 1);
          await setRow(t, a.id, { seq: -1 });
          await setRow(t, b.id, { seq: k });
          await setRow(t, a.id, { seq: k + 1 });
          await rehashFrom(t, k);
          return k;
        }
        case 'insert_rehash': {
          await renumber(t, k, 1);
          const forged = { ...at(k), id: `aud_forged_${k}`, seq: k, message: 'Write-back consent granted', actor: 'admin', mac: null, mac_kid: null };
          forged.hash = hashOf(forged);
          await db().insertInto('audit_events').values(forged).execute();
          await rehashFrom(t, k);
          return k;
        }
        case 'truncate': {
          // Deletes the newest entries and rolls the head back to a validly signed older one.
          await db().deleteFrom('audit_events').where('tenant_id', '=', t).where('seq', '>=', k).execute();
          await db().updateTable('audit_heads').set({ seq: k - 1, hash: k > 1 ? at(k - 1).hash : GENESIS }).where('tenant_id', '=', t).execute();
          return k;
        }
        case 'strip_rehash':
          // Rewritten as entries from before signing: no MAC, the old hash form.
          for (const r of rows.filter((x) => Number(x.seq) >= k)) await setRow(t, r.id, { hash_version: null, mac: null, mac_kid: null });
          await rehashFrom(t, k);
          return k;
        case 'delete_all':
          await db().deleteFrom('audit_events').where('tenant_id', '=', t).execute();
          await db().deleteFrom('audit_heads').where('tenant_id', '=', t).execute();
          return 1;
        case 'head_only':
          await db().updateTable('audit_heads').set({ hash: 'f'.repeat(64) }).where('tenant_id', '=', t).execute();
          return n;
      }
    }

    it('an untouched log verifies: every entry signed and anchored', async () => {
      const rand = prng(1);
      for (let i = 1; i <= 30; i++) await record('intact', i, rand);
      const r = await verifyAudit(db(), rt.auditSealer, 'intact');
      expect(r.ok, JSON.stringify(r.firstBroken)).toBe(true);
      expect({ entries: r.entries, signed: r.signed, legacy: r.legacy, first: r.firstSeq, last: r.lastSeq, anchors: r.anchors.checked, keys: r.keyIds }).toEqual({ entries: 30, signed: 30, legacy: 0, first: 1, last: 30, anchors: 30, keys: [k1.id] });
    });

    it(`${trials} random tamperings: every one caught, the first broken entry named; untouched logs pass`, async () => {
      const rand = prng(dialect === 'sqlite' ? 12 : 34);
      const caught: Record<string, number> = {};
      const missed: string[] = [];
      for (let trial = 0; trial < trials; trial++) {
        const t = `trial${trial}`;
        const n = 4 + Math.floor(rand() * 12);
        for (let i = 1; i <= n; i++) await record(t, i, rand);
        let kind = KINDS[Math.floor(rand() * KINDS.length)]!;
        if ((kind === 'swap' || kind === 'swap_rehash') && n < 2) kind = 'edit';
        const k = 1 + Math.floor(rand() * (kind === 'swap' || kind === 'swap_rehash' ? n - 1 : n));
        const expected = await tamper(t, kind, k, n, rand);
        const r = await verifyAudit(db(), rt.auditSealer, t);
        const got = r.ok ? null : r.firstBroken!.seq;
        if (got !== expected) missed.push(`${t} ${kind} at #${k} of ${n}: expected ${expected ?? 'intact'}, got ${got ?? 'intact'} (${r.firstBroken?.error.code ?? ''} ${r.firstBroken?.error.message ?? ''})`);
        caught[kind] = (caught[kind] ?? 0) + 1;
      }
      expect(missed).toEqual([]);
      // Every kind was drawn, several times over.
      for (const kind of KINDS) expect(caught[kind] ?? 0, kind).toBeGreaterThan(trials / KINDS.length / 3);
      // The first log is still intact after all that (tenants do not disturb each other).
      expect((await verifyAudit(db(), rt.auditSealer, 'intact')).ok).toBe(true);
    }, 600_000);

    it('without the anchor file a rolled-back head goes unnoticed — which is why the file exists', async () => {
      const rand = prng(5);
      for (let i = 1; i <= 6; i++) await record('rollback', i, rand);
      const rows = await rowsOf('rollback');
      await db().deleteFrom('audit_events').where('tenant_id', '=', 'rollback').where('seq', '>', 4).execute();
      await db().updateTable('audit_heads').set({ seq: 4, hash: rows[3]!.hash }).where('tenant_id', '=', 'rollback').execute();
      expect((await verifyAudit(db(), newRuntime([k1], false).auditSealer, 'rollback')).ok).toBe(true);
      const r = await verifyAudit(db(), rt.auditSealer, 'rollback');
      expect(r.firstBroken?.seq).toBe(5);
      expect(r.firstBroken?.error.code).toBe('audit.entry_missing');
      expect(r.firstBroken?.error.message).toMatch(/anchor file recorded #6/);
      newRuntime([k1]); // rebind the anchored sealer for the tests below
    });

    it('entries from before signing are adopted by a signed checkpoint and stay checked through the chain', async () => {
      // An installation upgraded to this version: entries hashed the first way, without MACs.
      let prev = GENESIS;
      for (let seq = 1; seq <= 5; seq++) {
        const row: AuditRow = { tenant_id: 'upgraded', id: `aud_old_${seq}`, seq, at: `2026-01-0${seq}T00:00:00.000Z`, severity: 'info', action: 'policy.edited', actor: 'admin', target_type: null, target_id: null, target_name: null, message: `old ${seq}`, code: null, params_json: null, prev_hash: prev, hash: '', hash_version: null, mac_kid: null, mac: null, actor_address: null, actor_agent: null };
        row.hash = hashOf(row);
        await db().insertInto('audit_events').values(row).execute();
        prev = row.hash;
      }
      await db().insertInto('audit_heads').values({ tenant_id: 'upgraded', seq: 5, hash: prev, legacy_seq: null }).execute();
      await recordAudit(db(), store.dialect, 'upgraded', { severity: 'info', action: 'policy.edited', message: 'first signed entry' });
      const ok = await verifyAudit(db(), rt.auditSealer, 'upgraded');
      expect({ ok: ok.ok, legacy: ok.legacy, signed: ok.signed }).toEqual({ ok: true, legacy: 5, signed: 1 });
      expect((await db().selectFrom('audit_checkpoints').select(['kind', 'seq']).where('tenant_id', '=', 'upgraded').execute()).map((c) => `${c.kind}@${Number(c.seq)}`)).toEqual(['legacy@5']);
      // Re-hashing the old entries still shows: the checkpoint pins #5's hash.
      await setRow('upgraded', 'aud_old_2', { message: 'rewritten' });
      await rehashFrom('upgraded', 2);
      const r = await verifyAudit(db(), rt.auditSealer, 'upgraded');
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => p.error.code)).toContain('audit.checkpoint_invalid');
      // And deleting the checkpoint turns the old entries into unsigned ones.
      await db().deleteFrom('audit_checkpoints').where('tenant_id', '=', 'upgraded').execute();
      const r2 = await verifyAudit(db(), rt.auditSealer, 'upgraded');
      expect(r2.firstBroken?.seq).toBe(1);
    });

    it('retention deletes old entries and the rest still verifies from a signed checkpoint; cutting more is caught', async () => {
      const t = 'retention';
      const day = 86_400_000;
      const start = Date.now() - 100 * day;
      for (let i = 0; i < 10; i++) await recordAudit(db(), store.dialect, t, { severity: 'info', action: 'policy.edited', message: `day ${i * 10}` }, start + i * 10 * day);
      const clock = { now: Date.now() };
      const rtAt = createRuntime({ store, secrets: rt.secrets, log: createLogger('silent'), auditAnchors: rt.auditSealer.anchors, now: () => clock.now });
      await setAuditSettings(rtAt, t, { retentionDays: 45 });
      const outcome = await applyRetention(rtAt, t);
      // Entries at 0…50 days after start are older than 45 days.
      expect(outcome).toEqual({ deleted: 6, upToSeq: 6 });
      const r = await verifyAudit(db(), rt.auditSealer, t);
      expect(r.ok, JSON.stringify(r.firstBroken)).toBe(true);
      expect(r.retention?.seq).toBe(6);
      expect(r.firstSeq).toBe(7);
      expect((await rowsOf(t)).map((x) => Number(x.seq))).toEqual([7, 8, 9, 10, 11, 12]); // 11: retention changed, 12: retention applied
      // Running again changes nothing.
      expect(await applyRetention(rtAt, t)).toBeNull();
      // Someone deletes one more old entry: the kept history no longer chains from the checkpoint.
      await db().deleteFrom('audit_events').where('tenant_id', '=', t).where('seq', '=', 7).execute();
      expect((await verifyAudit(db(), rt.auditSealer, t)).firstBroken?.seq).toBe(7);
      // Retention refuses to delete history that does not verify.
      clock.now += 30 * day;
      await expect(applyRetention(rtAt, t)).rejects.toMatchObject({ code: 'audit.retention_refused' });
      newRuntime([k1]);
    });

    it('a removed checkpoint is caught through the anchor file', async () => {
      const t = 'retention';
      await db().deleteFrom('audit_checkpoints').where('tenant_id', '=', t).where('kind', '=', 'retention').execute();
      const r = await verifyAudit(db(), rt.auditSealer, t);
      expect(r.problems.map((p) => p.error.code)).toContain('audit.checkpoint_invalid');
      expect(r.firstBroken?.seq).toBe(1);
    });

    it('entries signed with a retired master key stay verifiable; without its kept MAC key they are reported', async () => {
      // A rotation to k2: the MAC key of k1 is re-sealed under k2 with every other secret.
      const k2 = masterKey(randomBytes(32));
      const both = newRuntime([k2, k1]);
      await rotateKeys(both, { newKey: false, holderId: 'this-test' });
      for (let i = 0; i < 3; i++) await recordAudit(db(), store.dialect, 'intact', { severity: 'info', action: 'policy.edited', message: `after rotation ${i}` });
      // k1 retired: only k2 left in the keyring.
      const onlyNew = newRuntime([k2]);
      const r = await verifyAudit(db(), onlyNew.auditSealer, 'intact');
      expect(r.ok, JSON.stringify(r.firstBroken)).toBe(true);
      expect(r.keyIds.sort()).toEqual([k1.id, k2.id].sort());
      // Someone deletes the kept MAC key: the entries k1 signed can no longer be checked, and it says so.
      const kept = await db().selectFrom('audit_mac_keys').selectAll().where('kid', '=', k1.id).executeTakeFirstOrThrow();
      await db().deleteFrom('audit_mac_keys').where('kid', '=', k1.id).execute();
      const lost = await verifyAudit(db(), onlyNew.auditSealer, 'intact');
      expect(lost.firstBroken?.seq).toBe(1);
      expect(lost.firstBroken?.error.code).toBe('audit.signing_key_unknown');
      await db().insertInto('audit_mac_keys').values(kept).execute();
      rt = onlyNew;
      expect((await verifyAudit(db(), rt.auditSealer, 'intact')).ok).toBe(true);
    });

    it('a column added later is hashed: older entries keep verifying, a value written into it afterwards is caught', async () => {
      await sql`ALTER TABLE audit_events ADD COLUMN actor_session text`.execute(db());
      const t = 'columns';
      const rand = prng(9);
      for (let i = 1; i <= 3; i++) await record(t, i, rand);
      const before = await verifyAudit(db(), rt.auditSealer, t);
      expect(before.ok, JSON.stringify(before.problems)).toBe(true);
      await sql`UPDATE audit_events SET actor_session = 'ses_later' WHERE tenant_id = ${t} AND seq = 2`.execute(db());
      const r = await verifyAudit(db(), rt.auditSealer, t);
      expect(r.firstBroken?.seq).toBe(2);
      expect(r.firstBroken?.error.code).toBe('audit.entry_altered');
    });
  });
}
