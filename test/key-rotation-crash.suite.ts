import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { startSyncwarden, type Running } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { packageRoot } from '../src/runtime/paths.js';
import { prng } from '../src/sandbox/demo.js';
import { storeCredential, aadFor } from '../src/connections/credentials.js';
import { setPlatformSecret } from '../src/connections/platform-secrets.js';
import { createChannel, editChannel } from '../src/notify/channels.js';
import { loadKeyring } from '../src/keys/source.js';
import { sealedKeyId } from '../src/keys/secret-box.js';
import { sealedColumns } from '../src/keys/sealed-columns.js';
import { verifyAudit } from '../src/audit/verify.js';
import { CLI } from '../bench/support/worker-process.js';
import { dropSchema, pgUrlWithSchema } from './support/pg-schema.js';
import { cliRunner } from './support/cli.js';
import { openKnown, sealV1, wrongSecrets, type KnownSecret } from './support/keys.js';

/**
 * `syncwarden keys rotate` killed with SIGKILL at random moments — while adding its key, while
 * waiting for the running product to hold it, and mostly mid-re-encryption — then run again.
 * A real child process (the built CLI) rotates; this process is the running product: it keeps
 * opening and editing secrets through every trial and must never fail. After each kill every
 * secret must open to its value with the keyring in the data folder; after the last run every
 * secret is under the final key, the old keys retire, and the audit log verifies.
 */
export function keyRotationCrashSuite(dialect: Dialect, trials: number): void {
  describe(`key rotation under SIGKILL on ${dialect}`, () => {
    let dataDir: string;
    let databaseUrl: string | undefined;
    let schema: string | undefined;
    let product: Running;
    const known = new Map<string, KnownSecret>();
    const channels: KnownSecret[] = [];

    beforeAll(async () => {
      assertFreshBuild();
      dataDir = mkdtempSync(join(tmpdir(), 'sw-keycrash-'));
      if (dialect === 'postgres') ({ url: databaseUrl, schema } = await pgUrlWithSchema());
      product = await startSyncwarden({ dataDir, databaseUrl, env: {}, log: createLogger('silent'), keyHeartbeatMs: 200 });
      const rt = product.rt;
      const rand = prng(dialect === 'sqlite' ? 21 : 22);
      for (const tenant of ['default', 'contoso']) {
        for (let i = 0; i < 250; i++) {
          const value = `secret-${tenant}-${i}-${rand().toString(36)}`;
          const row = await storeCredential(rt, tenant, `conn_${i}`, { method: 'client_secret', meta: {}, secret: { clientSecret: value }, expiresAt: null, issuedAt: null }, 'current', 'test');
          known.set(`credential ${tenant}/${row.id}`, { tenant, kind: 'credential', id: row.id, value });
        }
        const tp = `{"private_key":"tp-${tenant}"}`;
        await setPlatformSecret(rt, tenant, 'google_token_provider_key', tp);
        known.set(`platform ${tenant}`, { tenant, kind: 'platform', id: 'google_token_provider_key', value: tp });
      }
      for (let i = 0; i < 40; i++) {
        const secret = `whsec-crash-${i}-${rand().toString(36)}-long-enough`;
        const c = await createChannel(rt, 'default', { type: 'webhook', name: `Hook ${i}`, config: { url: 'https://hooks.example.test/c' }, secret });
        const k: KnownSecret = { tenant: 'default', kind: 'channel', id: c.id, value: secret };
        known.set(`channel default/${c.id}`, k);
        channels.push(k);
      }
      const key = rt.secrets.keyring.state().primary.key;
      for (let i = 0; i < 30; i++) {
        const row = await storeCredential(rt, 'default', `conn_v1_${i}`, { method: 'client_secret', meta: {}, secret: null, expiresAt: null, issuedAt: null }, 'current', 'test');
        await rt.store.db.updateTable('connection_credentials').set({ secret_ciphertext: sealV1(key, JSON.stringify({ clientSecret: `v1-${i}` }), aadFor('default', row)) }).where('id', '=', row.id).execute();
        known.set(`credential default/${row.id}`, { tenant: 'default', kind: 'credential', id: row.id, value: `v1-${i}` });
      }
    }, 180_000);
    afterAll(async () => {
      await product?.stop();
      if (schema) await dropSchema(schema);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const rotateChild = () => {
      const env: NodeJS.ProcessEnv = { ...process.env, SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'error' };
      if (databaseUrl) env['DATABASE_URL'] = databaseUrl;
      else delete env['DATABASE_URL'];
      delete env['SYNCWARDEN_MASTER_KEY'];
      delete env['SYNCWARDEN_MASTER_KEY_FILE'];
      const child = spawn(process.execPath, [CLI(), 'keys', 'rotate', '--batch-size', '10', '--rate', '400'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { child, exited, output: () => out };
    };
    const sealed = async (col: (typeof sealedColumns)[number]): Promise<string[]> =>
      (await sql<{ c: string }>`SELECT ${sql.ref(col.column)} AS c FROM ${sql.table(col.table)} WHERE ${sql.ref(col.column)} IS NOT NULL`.execute(product.rt.store.db)).rows.map((r) => r.c);
    const running = () => product.rt.store.db.selectFrom('key_rotations').selectAll().where('status', '=', 'running').executeTakeFirst();

    it(`${trials} SIGKILLs at random moments, each followed by a resume: no secret lost or unopenable, the running product never fails`, async () => {
      const rand = prng(dialect === 'sqlite' ? 5 : 6);
      const failures: string[] = [];
      let productOps = 0;
      let stop = false;
      // The running product: opens secrets all along and now and then saves a new channel secret.
      const entries = [...known.values()];
      const load = (async () => {
        let i = 0;
        while (!stop) {
          const e = entries[Math.floor(rand() * entries.length)]!;
          try {
            const got = await openKnown(product.rt, e);
            if (got !== e.value) failures.push(`${e.kind} ${e.id} opened to ${got}`);
            if (++i % 40 === 0) {
              const c = channels[Math.floor(rand() * channels.length)]!;
              const secret = `whsec-edited-${i}-${rand().toString(36)}-long`;
              // Checked concurrently: until the edit returns, either value is the right one.
              c.pending = secret;
              await editChannel(product.rt, 'default', c.id, { secret });
              c.value = secret;
              c.pending = undefined;
            }
          } catch (err) {
            failures.push(`${e.kind} ${e.id}: ${String(err)}`);
          }
          productOps += 1;
          await new Promise((r) => setTimeout(r, 3));
        }
      })();

      let midReencryption = 0;
      let midResumed = 0;
      const log: string[] = [];
      try {
        for (let trial = 0; trial < trials; trial++) {
          const run = rotateChild();
          const early = rand() < 0.2;
          if (early) {
            // Anywhere in start-up, adding the key, or waiting for this process to hold it.
            await Promise.race([new Promise((r) => setTimeout(r, 200 + rand() * 1_200)), run.exited]);
          } else {
            // Mid-re-encryption, by this child: at a random share of what is left when it took over.
            const share = 0.05 + rand() * 0.9;
            const until = Date.now() + 30_000;
            let from: number | null = null;
            for (;;) {
              const r = await running();
              if (r && Number(r.owner_pid) === run.child.pid && Number(r.total) > 0) {
                from ??= Number(r.done);
                if (Number(r.done) > from && Number(r.done) >= from + share * (Number(r.total) - from)) break;
              }
              if (Date.now() > until) break;
              const exited = await Promise.race([run.exited.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), 15))]);
              if (exited) break;
            }
          }
          const before = await running();
          const finished = run.child.exitCode !== null;
          run.child.kill('SIGKILL');
          await run.exited;
          const mine = before && Number(before.owner_pid) === run.child.pid;
          if (mine && Number(before.done) > 0 && Number(before.done) < Number(before.total)) {
            midReencryption += 1;
            if (Number(before.resumed) > 0) midResumed += 1;
          }
          log.push(`trial ${trial}: ${finished ? `finished before the kill (exit ${run.child.exitCode})` : `killed ${mine ? `at ${before.done}/${before.total}${Number(before.resumed) ? ` (resumed ${before.resumed}×)` : ''}` : early ? 'early (start-up, adding the key or waiting)' : 'outside re-encryption'}`}`);
          // What is on disk now must open, every secret, with the keyring in the data folder.
          const ring = loadKeyring({}, dataDir);
          const wrong = await wrongSecrets(product.rt, known);
          expect(wrong, log.join('\n')).toEqual([]);
          for (const col of sealedColumns) {
            for (const kid of (await sealed(col)).map(sealedKeyId)) if (kid !== 'legacy') expect(ring.get(kid!), `${col.table} under ${kid}`).toBeDefined();
          }
        }
        // A last run, left to finish.
        const last = rotateChild();
        expect(await last.exited, last.output()).toBe(0);
      } finally {
        stop = true;
        await load;
      }
      if (process.env['SW_TRIAL_LOG']) console.log(`${log.join('\n')}\nproduct operations: ${productOps}, mid-re-encryption kills: ${midReencryption}`);
      expect(failures).toEqual([]);
      expect(productOps).toBeGreaterThan(trials * 20);
      // Most kills land mid-re-encryption, some of them in a rotation that was itself resumed.
      expect(midReencryption, log.join('\n')).toBeGreaterThanOrEqual(Math.ceil(trials / 3));
      expect(midResumed, log.join('\n')).toBeGreaterThan(0);
      const rotations = await product.rt.store.db.selectFrom('key_rotations').selectAll().execute();
      expect(rotations.some((r) => Number(r.resumed) > 0), 'some rotation was resumed').toBe(true);
      expect(rotations.filter((r) => r.status === 'running')).toEqual([]);

      // Everything is under the final key; every older key retires; a keyring of the final key alone opens it all.
      const ring = loadKeyring({}, dataDir);
      const primary = ring.state().primary.id;
      for (const col of sealedColumns) {
        expect(new Set((await sealed(col)).map(sealedKeyId)), col.table).toEqual(new Set([primary]));
      }
      const cli = cliRunner(() => ({ SYNCWARDEN_DATA: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }));
      for (const k of ring.state().keys.slice(1)) expect(await cli.run('keys', 'retire', k.id)).toMatch(/retired and removed/);
      expect(loadKeyring({}, dataDir).state().keys.map((k) => k.id)).toEqual([primary]);
      const fresh = await startSyncwarden({ dataDir, databaseUrl, env: {}, log: createLogger('silent') });
      try {
        expect(await wrongSecrets(fresh.rt, known)).toEqual([]);
        const report = await verifyAudit(fresh.rt.store.db, fresh.rt.auditSealer, 'default');
        expect(report.ok, JSON.stringify(report.firstBroken)).toBe(true);
      } finally {
        await fresh.stop();
      }
    }, 900_000);
  });
}

/** The child runs the built CLI: refuse a build older than the key code, so a trial never tests old code. */
function assertFreshBuild(): void {
  for (const f of ['src/keys/rotation.ts', 'src/keys/keyring.ts', 'src/keys/secret-box.ts', 'src/keys/holders.ts', 'src/cli/commands/keys.ts']) {
    const src = join(packageRoot(), f);
    const out = join(packageRoot(), 'dist', f.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(src).mtimeMs > statSync(out).mtimeMs + 1000) throw new Error(`${out} is older than ${f}: run \`npm run build\` first`);
  }
}
