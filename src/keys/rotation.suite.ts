import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp } from '../../test/support/app.js';
import { cliRunner } from '../../test/support/cli.js';
import { openKnown, sealV1, wrongSecrets, type KnownSecret } from '../../test/support/keys.js';
import type { Dialect } from '../store/db.js';
import type { Runtime } from '../runtime/context.js';
import { startSyncwarden, type Running } from '../runtime/start.js';
import { createLogger } from '../runtime/logger.js';
import { prng } from '../sandbox/demo.js';
import { aadFor, storeCredential } from '../connections/credentials.js';
import { setPlatformSecret } from '../connections/platform-secrets.js';
import { getCredential } from '../store/credentials-repo.js';
import { loadKeyring } from './source.js';
import { createSecretBox, sealedKeyId } from './secret-box.js';
import type { KeyStatus } from './status.js';

/**
 * `syncwarden keys rotate|retire|status` through the real database while the product runs: the
 * app (its own keyring, reading the data folder's key file) keeps opening and sealing secrets
 * while the CLI rotates; nothing it does fails, nothing is lost, an edit made meanwhile wins over
 * the re-encryption, and the old key leaves the keyring only once nothing uses it.
 */
export function rotationSuite(dialect: Dialect): void {
  describe(`master key rotation on ${dialect}`, () => {
    let app: Awaited<ReturnType<typeof bootApp>>;
    let cli: ReturnType<typeof cliRunner>;
    /** Where each secret lives → what it must open to. */
    const expected = new Map<string, KnownSecret>();
    let firstKey: string;

    const open = openKnown;
    const openAll = (rt: Runtime) => wrongSecrets(rt, expected);
    const status = async (): Promise<KeyStatus> => JSON.parse(await cli.run('keys', 'status', '--json')) as KeyStatus;
    const waitFor = async (what: () => boolean, ms = 5_000) => {
      const until = Date.now() + ms;
      while (!what() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return what();
    };

    beforeAll(async () => {
      app = await bootApp({ dialect, keyHeartbeatMs: 100 });
      cli = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, DATABASE_URL: app.databaseUrl, LOG_LEVEL: 'silent' }));
      const rt = app.rt;
      firstKey = rt.secrets.keyring.state().primary.id;
      const rand = prng(dialect === 'sqlite' ? 3 : 4);
      for (const tenant of ['default', 'acme']) {
        for (let i = 0; i < 60; i++) {
          const value = `client-secret-${tenant}-${i}-${rand().toString(36)}`;
          const row = await storeCredential(rt, tenant, `conn_${i}`, { method: 'client_secret', meta: {}, secret: { clientSecret: value }, expiresAt: null, issuedAt: null }, 'current', 'test');
          expected.set(`credential ${tenant}/${row.id}`, { tenant, kind: 'credential', id: row.id, value });
        }
        const tp = `{"private_key":"token-provider-${tenant}"}`;
        await setPlatformSecret(rt, tenant, 'google_token_provider_key', tp);
        expected.set(`platform ${tenant}`, { tenant, kind: 'platform', id: 'google_token_provider_key', value: tp });
      }
      for (let i = 0; i < 5; i++) {
        const secret = `whsec-rotation-${i}-${rand().toString(36)}-long-enough`;
        const r = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: `Hook ${i}`, config: { url: 'https://hooks.example.test/x' }, secret }) });
        expect(r.status).toBe(201);
        expected.set(`channel default/${r.body.id}`, { tenant: 'default', kind: 'channel', id: r.body.id, value: secret });
      }
      // Credentials from before key ids, and before migration 0004 (sealed for the connection only).
      const key = rt.secrets.keyring.state().primary.key;
      for (let i = 0; i < 8; i++) {
        const value = `legacy-secret-${i}`;
        const row = await storeCredential(rt, 'default', `conn_legacy_${i}`, { method: 'client_secret', meta: {}, secret: null, expiresAt: null, issuedAt: null }, 'current', 'test');
        const scheme = i % 2;
        await rt.store.db.updateTable('connection_credentials').set({ aad_scheme: scheme, secret_ciphertext: sealV1(key, JSON.stringify({ clientSecret: value }), aadFor('default', { ...row, aad_scheme: scheme })) }).where('id', '=', row.id).execute();
        expected.set(`credential default/${row.id}`, { tenant: 'default', kind: 'credential', id: row.id, value });
      }
    }, 120_000);
    afterAll(async () => app?.stop());

    it('status: one key seals everything, the secrets from before key ids are counted as legacy, the app holds the key', async () => {
      expect(await openAll(app.rt)).toEqual([]);
      const s = await status();
      expect(s.keys.map((k) => [k.id, k.primary])).toEqual([[firstKey, true]]);
      expect(s.keys[0]!.secrets).toBe(120 + 2 + 5 + 1); // credentials, platform secrets, channels, the audit MAC key
      expect(s.keys[0]!.legacySecrets).toBe(8);
      expect(s.usage.find((u) => u.table === 'connection_credentials')?.byKey).toEqual({ [firstKey]: 120, legacy: 8 });
      expect(s.processes.map((p) => p.kind)).toContain('serve');
      expect(s.advice.join(' ')).toMatch(/8 stored secret\(s\) are not under the primary key/);
      // The status never carries key material.
      const text = await cli.run('keys', 'status', '--json');
      expect(text).not.toContain(app.rt.secrets.keyring.state().primary.key.toString('base64'));
      expect(text).not.toContain(app.rt.secrets.keyring.state().primary.key.toString('hex'));
    });

    it('rotates while the app keeps opening, sealing and editing secrets: nothing fails, an edit made meanwhile wins', async () => {
      const rand = prng(11);
      const entries = [...expected.entries()];
      let ops = 0;
      const failures: string[] = [];
      let stop = false;
      const edited = entries.find(([, e]) => e.kind === 'channel')![1];
      const load = (async () => {
        let i = 0;
        while (!stop) {
          const [where, e] = entries[Math.floor(rand() * entries.length)]!;
          try {
            const got = await open(app.rt, e);
            if (got !== expected.get(where)!.value) failures.push(`${where} opened to ${got}`);
          } catch (err) {
            failures.push(`${where}: ${String(err)}`);
          }
          if (++i % 25 === 0) {
            // The app seals too: a new channel, and a new secret on an existing one.
            const secret = `whsec-during-${i}-${rand().toString(36)}-long`;
            const r = i % 50 === 0
              ? await app.api(`/alerts/channels/${edited.id}`, { method: 'PATCH', body: JSON.stringify({ secret }) })
              : await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: `During ${i}`, config: { url: 'https://hooks.example.test/y' }, secret }) });
            if (r.status >= 300) failures.push(`API ${r.status} ${r.text}`);
            else if (i % 50 === 0) edited.value = secret;
            else expected.set(`channel default/${r.body.id}`, { tenant: 'default', kind: 'channel', id: r.body.id, value: secret });
          }
          ops += 1;
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const out = await cli.run('keys', 'rotate', '--rate', '100', '--batch-size', '5');
      stop = true;
      await load;
      expect(failures).toEqual([]);
      expect(ops).toBeGreaterThan(50);
      expect(edited.value).toMatch(/^whsec-during-/); // the app edited a secret while the rotation ran
      expect(out).toMatch(/New key [0-9a-f]{16} added first to .*master\.key/);
      expect(out).toMatch(/Rotation krot_\w+ complete/);
      const newKey = app.rt.secrets.keyring.state().primary.id;
      expect(newKey).not.toBe(firstKey);
      expect(readFileSync(join(app.dataDir, 'master.key'), 'utf8')).toContain(`key id ${newKey}`);
      // Every secret — those written during the rotation too — opens to its latest value.
      expect(await openAll(app.rt)).toEqual([]);
      const s = await status();
      expect(s.keys.map((k) => [k.id, k.primary, k.secrets, k.legacySecrets])).toEqual([[newKey, true, expect.any(Number), 0], [firstKey, false, 0, 0]]);
      expect(s.usage.every((u) => Object.keys(u.byKey).every((k) => k === newKey))).toBe(true);
      expect(s.rotations[0]).toMatchObject({ targetKeyId: newKey, state: 'completed', unreadable: 0 });
      expect(s.advice.join(' ')).toContain(`syncwarden keys retire ${firstKey}`);
      // Credentials from before 0004 moved to their own associated data while re-sealed.
      expect((await app.rt.store.db.selectFrom('connection_credentials').select('aad_scheme').where('aad_scheme', '=', 0).execute()).length).toBe(0);
    }, 120_000);

    it('retire refuses the primary, a key a secret still needs, an unknown id; then retires the old key', async () => {
      const newKey = app.rt.secrets.keyring.state().primary.id;
      await expect(cli.run('keys', 'retire', newKey)).rejects.toMatchObject({ code: 'keys.key_is_primary' });
      await expect(cli.run('keys', 'retire', '0123456789abcdef')).rejects.toMatchObject({ code: 'keys.key_unknown' });
      // A secret sealed with the old key (a process that had not reloaded yet, say), in the old format.
      const old = loadKeyring({}, app.dataDir).get(firstKey)!;
      const row = await storeCredential(app.rt, 'default', 'conn_late', { method: 'client_secret', meta: {}, secret: null, expiresAt: null, issuedAt: null }, 'current', 'test');
      await app.rt.store.db.updateTable('connection_credentials').set({ secret_ciphertext: sealV1(old.key, JSON.stringify({ clientSecret: 'late' }), aadFor('default', row)) }).where('id', '=', row.id).execute();
      expected.set(`credential default/${row.id}`, { tenant: 'default', kind: 'credential', id: row.id, value: 'late' });
      await expect(cli.run('keys', 'retire', firstKey)).rejects.toMatchObject({ code: 'keys.key_in_use', params: { count: 1 } });
      const again = await cli.run('keys', 'rotate', '--no-new-key');
      expect(again).not.toMatch(/New key/);
      expect(app.rt.secrets.keyring.state().primary.id).toBe(newKey);
      expect(sealedKeyId((await getCredential(app.rt.store.db, 'default', 'conn_late', row.id))!.secret_ciphertext!)).toBe(newKey);
      expect(await cli.run('keys', 'retire', firstKey)).toMatch(new RegExp(`Key ${firstKey} retired and removed`));
      expect(loadKeyring({}, app.dataDir).state().keys.map((k) => k.id)).toEqual([newKey]);
      // The running app drops the key on its next beat and still opens everything; so does a fresh process.
      expect(await waitFor(() => app.rt.secrets.keyring.state().keys.length === 1)).toBe(true);
      expect(await openAll(app.rt)).toEqual([]);
      const fresh = await startSyncwarden({ dataDir: app.dataDir, databaseUrl: app.databaseUrl, env: {}, log: createLogger('silent') });
      try {
        expect(await openAll(fresh.rt)).toEqual([]);
        expect(() => createSecretBox(loadKeyring({}, app.dataDir)).open(sealV1(old.key, 'x', 'a'), 'a')).toThrow();
      } finally {
        await fresh.stop();
      }
    }, 120_000);

    it('a process without the new key holds the rotation back, named; once it is gone the rotation resumes', async () => {
      // A process configured from the environment with the current key only: it cannot learn a new one.
      const current = app.rt.secrets.keyring.state().primary;
      let other: Running | undefined = await startSyncwarden({ dataDir: app.dataDir, databaseUrl: app.databaseUrl, env: { SYNCWARDEN_MASTER_KEY: current.key.toString('hex') }, log: createLogger('silent') });
      try {
        const err = await cli.run('keys', 'rotate', '--wait', '1').catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'keys.holders_missing_key', params: { count: 1 } });
        expect(String((err as { params: { processes: string } }).params.processes)).toMatch(new RegExp(`cli on .* \\(pid ${process.pid}\\)`));
        const s = await status();
        expect(s.rotations[0]).toMatchObject({ state: 'interrupted', done: 0 });
        expect(s.advice.join(' ')).toMatch(/was interrupted .* run `syncwarden keys rotate` to resume it/);
        await other.stop();
        other = undefined;
        const target = s.rotations[0]!.targetKeyId;
        const out = await cli.run('keys', 'rotate');
        expect(out).toMatch(new RegExp(`Resuming the interrupted rotation krot_\\w+ to key ${target}`));
        expect(out).not.toMatch(/New key/);
        const after = await status();
        expect(after.keys[0]).toMatchObject({ id: target, primary: true });
        expect(after.rotations[0]).toMatchObject({ targetKeyId: target, state: 'completed', resumed: 1 });
        expect(after.usage.every((u) => Object.keys(u.byKey).every((k) => k === target))).toBe(true);
        expect(await openAll(app.rt)).toEqual([]);
      } finally {
        await other?.stop();
      }
    }, 120_000);

    it('the audit log records each step, every tenant\'s verifies across the key changes, and GET /keys shows the state without keys', async () => {
      const events = (await app.rt.store.db.selectFrom('audit_events').select(['action', 'tenant_id']).where('action', 'like', 'keys.%').orderBy('seq').execute());
      const inDefault = events.filter((e) => e.tenant_id === 'default').map((e) => e.action);
      // rotate; rotate --no-new-key; retire; rotate (held back, interrupted); rotate (resumed).
      expect(inDefault).toEqual(['keys.rotation_started', 'keys.rotation_completed', 'keys.rotation_started', 'keys.rotation_completed', 'keys.retired', 'keys.rotation_started', 'keys.rotation_completed']);
      expect(events.some((e) => e.tenant_id === 'acme')).toBe(false); // acme has no audit log of its own yet
      expect(await cli.run('audit', 'verify', '--all')).toMatch(/intact/);
      expect(cli.exitCode).toBe(0);
      const r = await app.api('/keys');
      expect(r.status).toBe(200);
      expect(r.body.keys[0].id).toBe(app.rt.secrets.keyring.state().primary.id);
      for (const k of app.rt.secrets.keyring.state().keys) {
        expect(r.text).not.toContain(k.key.toString('base64'));
        expect(r.text).not.toContain(k.key.toString('hex'));
      }
    });

    it('one rotation at a time: a second `keys rotate` while one runs is refused, naming it', async () => {
      const before = app.rt.secrets.keyring.state().primary.id;
      const first = cli.run('keys', 'rotate', '--rate', '60');
      // Running, and the app seals with the new key already (its heartbeat says so).
      const until = Date.now() + 20_000;
      const appPrimary = async () => (await app.rt.store.db.selectFrom('key_holders').select('primary_kid').where('id', '=', app.keyHolder.id).executeTakeFirst())?.primary_kid;
      while (((await appPrimary()) === before || !(await app.rt.store.db.selectFrom('key_rotations').select('id').where('status', '=', 'running').executeTakeFirst())) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const second = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, DATABASE_URL: app.databaseUrl, LOG_LEVEL: 'silent' }));
      await expect(second.run('keys', 'rotate')).rejects.toMatchObject({ code: 'keys.rotation_running' });
      // Nor can the key being rotated away from be retired meanwhile.
      await expect(second.run('keys', 'retire', before)).rejects.toMatchObject({ code: 'keys.rotation_running' });
      expect(await first).toMatch(/complete/);
      expect(await openAll(app.rt)).toEqual([]);
    }, 120_000);

    it('a keyring from the environment cannot take a new key by itself; `keys generate` prints one to add', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sw-envkey-'));
      const gen = (await cliRunner(() => ({})).run('keys', 'generate')).split('\n');
      expect(gen[0]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(gen[1]).toMatch(/^# key id [0-9a-f]{16}: put it first/);
      const env: Record<string, string> = { SYNCWARDEN_DATA: dir, SYNCWARDEN_MASTER_KEY: gen[0]!, LOG_LEVEL: 'silent' };
      const envCli = cliRunner(() => env);
      expect(await envCli.run('keys', 'status')).toMatch(/Keyring: the environment \(SYNCWARDEN_MASTER_KEY\) \(Syncwarden cannot change it: add keys yourself\)/);
      await expect(envCli.run('keys', 'rotate')).rejects.toMatchObject({ code: 'keys.keyring_not_writable' });
      // The documented steps: a new key first in the list, the old one after it; re-encrypt; retire the old one.
      const next = (await cliRunner(() => ({})).run('keys', 'generate')).split('\n');
      const oldId = /key id ([0-9a-f]{16})/.exec(gen[1]!)![1]!;
      env['SYNCWARDEN_MASTER_KEY'] = `${next[0]},${gen[0]}`;
      expect(await envCli.run('keys', 'rotate', '--no-new-key')).toMatch(/complete/);
      expect(await envCli.run('keys', 'retire', oldId)).toBe(`Key ${oldId} is no longer used: remove it from the environment (SYNCWARDEN_MASTER_KEY) on every process.`);
      env['SYNCWARDEN_MASTER_KEY'] = next[0]!;
      expect(await envCli.run('audit', 'verify')).toMatch(/intact/);
    });
  });
}
