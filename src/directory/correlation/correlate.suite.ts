import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../../test/support/store.js';
import type { Dialect } from '../../store/db.js';
import { createRuntime, type Runtime } from '../../runtime/context.js';
import { createSecretBox } from '../../connections/secret-box.js';
import { createLogger } from '../../runtime/logger.js';
import { insertConnection } from '../../store/connections-repo.js';
import { queryAudit } from '../../audit/audit.js';
import type { DirAccountsTable } from '../../store/tables/directory.js';
import { correlateIdentities } from './correlate.js';
import { loadCorrelationSettings, saveCorrelationRules } from './rules.js';

/**
 * correlateIdentities on the real database: accounts written as a sync writes them, identities
 * read back. Stability of ids across runs, splits, deletions, rule changes, and 100,000
 * accounts (timed by `npm run bench -- correlation`), on SQLite and PostgreSQL.
 */
export function correlateSuite(dialect: Dialect): void {
  describe(`correlateIdentities on ${dialect}`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>;
    let rt: Runtime;
    const T = 'default';
    const now = '2026-01-01T00:00:00.000Z';

    const connection = (id: string, role = 'directory') =>
      insertConnection(store.db, T, {
        id, name: id, kind: 'scim', role, config_json: '{}', status: 'active', last_tested_at: null, last_error_json: null, last_findings_json: null,
        last_ok_at: null, write_back: 0, write_back_at: null, write_back_by: null, next_doctor_at: null, created_at: now, updated_at: now,
      });
    const account = (connectionId: string, externalId: string, over: Partial<DirAccountsTable> = {}): DirAccountsTable => ({
      tenant_id: T, connection_id: connectionId, external_id: externalId, account_type: 'user', user_name: `${externalId}@x.test`, email: `${externalId}@x.test`,
      display_name: externalId, given_name: null, family_name: null, employee_id: null, enabled: 1, external: 0, source_created_at: null, last_sign_in_at: null,
      attributes_json: '{}', identity_id: null, match_json: null, hash: 'h', page_key: 'users#1', gen: 1, first_seen_at: now, updated_at: now, ...over,
    });
    const put = async (rows: DirAccountsTable[]) => {
      for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('dir_accounts').values(rows.slice(i, i + 500)).execute();
    };
    const identityOf = async (connectionId: string, externalId: string) =>
      (await store.db.selectFrom('dir_accounts').select(['identity_id', 'match_json']).where('tenant_id', '=', T).where('connection_id', '=', connectionId).where('external_id', '=', externalId).executeTakeFirstOrThrow());

    beforeAll(async () => {
      store = await openTestStore(dialect);
      rt = createRuntime({ store, secrets: createSecretBox(randomBytes(32)), log: createLogger('silent') });
      await connection('entra');
      await connection('google');
      await connection('mail', 'continuity_source');
    });
    afterAll(async () => {
      await store?.close();
    });

    it('links accounts across connections and keeps ids stable across runs', async () => {
      await put([
        account('entra', 'ann', { display_name: 'Ann Lee', employee_id: 'E1' }),
        account('google', 'g-ann', { user_name: 'ann@x.test', email: 'ANN@x.test' }),
        account('entra', 'bob', { display_name: 'Bob', account_type: 'guest', enabled: 0 }),
        account('mail', 'ann', {}), // not a directory connection: left alone
      ]);
      const first = await correlateIdentities(rt, T);
      expect(first).toMatchObject({ accounts: 3, identities: 2, created: 2, deleted: 0, accountsRelinked: 3 });
      const ann = await identityOf('entra', 'ann');
      expect(ann.identity_id).toMatch(/^idn_/);
      expect((await identityOf('google', 'g-ann')).identity_id).toBe(ann.identity_id);
      expect(JSON.parse(ann.match_json!)).toEqual({ rule: 'email', value: 'ann@x.test' });
      expect((await identityOf('mail', 'ann')).identity_id).toBeNull();
      const row = await store.db.selectFrom('identities').selectAll().where('tenant_id', '=', T).where('id', '=', ann.identity_id!).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ display_name: 'Ann Lee', email: 'ann@x.test', employee_id: 'E1', identity_type: 'person', status: 'active' });
      expect(Number(row.accounts)).toBe(2);
      expect(JSON.parse(row.connections_json)).toEqual(['entra', 'google']);
      const bob = await store.db.selectFrom('identities').selectAll().where('id', '=', (await identityOf('entra', 'bob')).identity_id!).executeTakeFirstOrThrow();
      expect(bob).toMatchObject({ identity_type: 'guest', status: 'disabled' });

      const again = await correlateIdentities(rt, T);
      expect(again).toMatchObject({ identities: 2, created: 0, updated: 0, deleted: 0, accountsRelinked: 0 });
      expect((await identityOf('entra', 'ann')).identity_id).toBe(ann.identity_id);
      expect((await loadCorrelationSettings(rt, T)).correlatedAt).toBe(again.correlatedAt);
    });

    it('a split keeps the old id on one part; an identity with no accounts left is deleted', async () => {
      const before = (await identityOf('entra', 'ann')).identity_id;
      await store.db.updateTable('dir_accounts').set({ email: 'ann.lee@y.test', user_name: 'ann.lee@y.test' }).where('connection_id', '=', 'google').where('external_id', '=', 'g-ann').execute();
      const r = await correlateIdentities(rt, T);
      expect(r).toMatchObject({ identities: 3, created: 1 });
      expect((await identityOf('entra', 'ann')).identity_id).toBe(before);
      const split = await identityOf('google', 'g-ann');
      expect(split.identity_id).not.toBe(before);
      expect(split.match_json).toBeNull();

      const bobId = (await identityOf('entra', 'bob')).identity_id!;
      await store.db.deleteFrom('dir_accounts').where('external_id', '=', 'bob').execute();
      expect((await correlateIdentities(rt, T)).deleted).toBe(1);
      expect(await store.db.selectFrom('identities').select('id').where('id', '=', bobId).executeTakeFirst()).toBeUndefined();
    });

    it('rule changes are validated, audited, and change what links', async () => {
      await expect(saveCorrelationRules(rt, T, { rules: [{ attribute: 'email', enabled: true }, { attribute: 'email', enabled: false }] })).rejects.toMatchObject({ code: 'request.invalid' });
      // Employee id only: the Google account (no employee id) and Ann's Entra account stay apart;
      // a SCIM-like account with the same employee id joins her.
      await put([account('google', 'emp', { user_name: 'someone@z.test', email: 'someone@z.test', employee_id: 'E1' })]);
      const saved = await saveCorrelationRules(rt, T, { rules: [{ attribute: 'employee_id', enabled: true }, { attribute: 'email', enabled: false }] });
      expect(saved.rules[0]).toEqual({ attribute: 'employee_id', enabled: true });
      const audit = await queryAudit(store.db, T, { action: 'directory.rules', limit: 5 }) // queryAudit drops '_' from the prefix;
      expect(audit[0]!.message).toContain('"employee id, email (off)"');
      await correlateIdentities(rt, T);
      const ann = await identityOf('entra', 'ann');
      expect((await identityOf('google', 'emp')).identity_id).toBe(ann.identity_id);
      expect(JSON.parse(ann.match_json!)).toEqual({ rule: 'employee_id', value: 'E1' });
      await saveCorrelationRules(rt, T, { rules: [{ attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: true }, { attribute: 'employee_id', enabled: true }] });
    });

    it('correlates 100,000 accounts, and a second run writes nothing', async () => {
      await store.db.deleteFrom('dir_accounts').where('tenant_id', '=', T).execute();
      const rows: DirAccountsTable[] = [];
      for (let i = 0; i < 50_000; i++) {
        rows.push(account('entra', `e${i}`, { user_name: `user${i}@x.test`, email: `user${i}@x.test`, employee_id: i % 3 === 0 ? `E${i}` : null }));
        // Half the Google accounts share the Entra email; the rest only the employee id or nothing.
        rows.push(account('google', `g${i}`, { user_name: i % 2 === 0 ? `user${i}@x.test` : `u${i}@google.test`, email: i % 2 === 0 ? `user${i}@x.test` : `u${i}@google.test`, employee_id: i % 3 === 0 ? `E${i}` : null }));
      }
      await put(rows);
      const first = await correlateIdentities(rt, T);
      expect(first.accounts).toBe(100_000);
      // Linked: even i (email) or i divisible by 3 (employee id): 50,000 × 2/3 persons of two accounts.
      const pairs = Array.from({ length: 50_000 }, (_, i) => i % 2 === 0 || i % 3 === 0).filter(Boolean).length;
      expect(first.identities).toBe(100_000 - pairs);
      // How long it takes is measured by `npm run bench -- correlation`, not here.
      const second = await correlateIdentities(rt, T);
      expect(second).toMatchObject({ created: 0, updated: 0, deleted: 0, accountsRelinked: 0, identities: first.identities });
      const n = await store.db.selectFrom('identities').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', T).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(first.identities);
    }, 120_000);
  });
}
