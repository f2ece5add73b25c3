import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openStore } from '../store/db.js';
import { createSecretBox } from '../keys/secret-box.js';
import { loadKeyring } from '../keys/source.js';
import { startKeyHolder, type HolderKind, type KeyHolder } from '../keys/holders.js';
import { anchorLog } from '../audit/anchors.js';
import { storeAuditMacKeys } from '../audit/sealing.js';
import { auditHandlers, auditTasks } from '../audit/jobs.js';
import { createRuntime, type Runtime } from './context.js';
import { createLogger, type Logger } from './logger.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { ensureDemoTenant } from './demo.js';
import { ensureDemoSsoUser } from '../auth/sso/demo.js';
import { buildApi } from '../api/server.js';
import { startWorker, type Worker } from '../engine/worker.js';
import { startScheduler, type Scheduler } from '../engine/scheduler.js';
import { pruneFinished } from '../engine/jobs.js';
import { continuityHandlers, failoverTasks, queueDueCycles } from '../continuity/jobs.js';
import { registerServer } from './server-registry.js';
import { packageVersion, webDir } from './paths.js';
import { DEFAULT_TENANT } from '../api/route.js';
import { readFileSync } from 'node:fs';
import { setPlatformSecret } from '../connections/platform-secrets.js';
import { diagnosticsHandlers, diagnosticsTasks } from '../diagnostics/jobs.js';
import { directoryHandlers, directoryTasks } from '../directory/jobs.js';
import { campaignHandlers, campaignTasks } from '../campaigns/jobs.js';
import { ensureDemoCampaign } from '../campaigns/demo.js';
import { ensureFirstOwner, signInLinkUrl } from '../auth/users.js';
import { sessionSettingsFrom } from '../auth/sessions.js';

export interface StartOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  /** Serve the API and UI on this port (0 = pick a free one); undefined = do not serve. */
  readonly port?: number | undefined;
  readonly host?: string;
  /** Run the sandbox in-process (base port; 0 = free ports) and wire the demo tenant. */
  readonly sandbox?: { readonly basePort: number; readonly demo: boolean } | undefined;
  /** Jobs at once, and the job lease (engine/worker.ts: DEFAULT_LEASE_MS when not given). */
  readonly worker?: { readonly concurrency: number; readonly leaseMs?: number } | undefined;
  readonly scheduler?: boolean;
  readonly schedulerTickMs?: number;
  /** Time slice of one mailbox run before it yields to the next user (continuity). */
  readonly sliceMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
  /** The clock (tests move it to reach expiry dates and reminder times). */
  readonly now?: () => number;
  /** How often this process tells the others which master keys it holds (keys/holders.ts). */
  readonly keyHeartbeatMs?: number;
}

/** Is this a loopback address (only this machine can reach a server bound to it)? */
export function isLoopbackHost(host: string): boolean {
  return /^(127(?:\.\d{1,3}){3}|localhost|::1|\[::1\])$/i.test(host);
}

export interface Running {
  readonly rt: Runtime;
  readonly url: string | undefined;
  readonly sandbox: Sandbox | undefined;
  readonly worker: Worker | undefined;
  readonly scheduler: Scheduler | undefined;
  readonly api: FastifyInstance | undefined;
  /** This process in `key_holders`: which master keys it holds (a key rotation waits for all). */
  readonly keyHolder: KeyHolder;
  /**
   * First start only: the one-time sign-in link of the first owner (printed by `syncwarden
   * start`), also while that owner never signed in nor set a password.
   */
  readonly firstSignIn: { readonly email: string; readonly url: string } | undefined;
  stop(): Promise<void>;
}

/**
 * The composition root. `syncwarden start` runs everything in one process (embedded mode);
 * `serve` and `worker` run the parts separately against a shared PostgreSQL.
 */
export async function startSyncwarden(opts: StartOptions): Promise<Running> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger();
  const dataDir = resolve(opts.dataDir);
  // The data folder holds the database, the keyring file and the audit anchors: owner only.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dataDir, 0o700);
  } catch (e) {
    log.warn({ err: e, dataDir }, 'could not make the data folder readable by its owner only');
  }
  const store = await openStore({ databaseUrl: opts.databaseUrl, dataDir });
  const keyring = loadKeyring(env, dataDir, (e) => log.warn({ err: e }, 'the master keyring file could not be re-read; the keys read before stay in use'));
  // The anchor file lives outside the database: the data folder, or a path every process of a
  // scaled-out installation can append to (audit/anchors.ts).
  const anchorPath = resolve(env['SYNCWARDEN_AUDIT_ANCHOR_FILE'] || join(dataDir, 'audit-anchors.jsonl'));
  mkdirSync(dirname(anchorPath), { recursive: true });
  const auditAnchors = anchorLog(anchorPath, (e) => log.warn({ err: e }, 'could not append to the audit anchor file'));
  const rt = createRuntime({ store, secrets: createSecretBox(keyring), log, auditAnchors, ...(opts.now ? { now: opts.now } : {}) });
  await storeAuditMacKeys(store.db, rt.auditSealer, rt.now());
  const kind: HolderKind = opts.port !== undefined ? (opts.worker ? 'start' : 'serve') : opts.worker ? 'worker' : 'cli';
  const keyHolder = await startKeyHolder(store.db, keyring, {
    kind,
    version: packageVersion(),
    ...(opts.keyHeartbeatMs ? { heartbeatMs: opts.keyHeartbeatMs } : {}),
    onError: (e) => log.warn({ err: e }, 'key holder heartbeat failed'),
  });

  const tokenProviderFile = env['SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE'];
  if (tokenProviderFile) await setPlatformSecret(rt, DEFAULT_TENANT, 'google_token_provider_key', readFileSync(tokenProviderFile, 'utf8'));

  let sandbox: Sandbox | undefined;
  if (opts.sandbox) {
    sandbox = await startSandbox({ basePort: opts.sandbox.basePort, stateDir: join(dataDir, 'sandbox') });
    log.info({ urls: sandbox.urls }, 'sandbox providers listening');
    if (opts.sandbox.demo && (await ensureDemoTenant(rt, DEFAULT_TENANT, sandbox))) log.info('demo tenant wired to the sandbox');
  }

  let worker: Worker | undefined;
  if (opts.worker) {
    worker = startWorker({
      store,
      handlers: { ...continuityHandlers(rt, opts.sliceMs ? { sliceMs: opts.sliceMs } : {}), ...diagnosticsHandlers(rt), ...directoryHandlers(rt), ...auditHandlers(rt), ...campaignHandlers(rt) },
      concurrency: opts.worker.concurrency,
      ...(opts.worker.leaseMs ? { leaseMs: opts.worker.leaseMs } : {}),
      now: rt.now,
      onError: (job, error) => log.warn({ job: job.id, kind: job.kind, err: error }, 'job failed'),
    });
  }
  let scheduler: Scheduler | undefined;
  if (opts.scheduler) {
    scheduler = startScheduler([() => queueDueCycles(rt), () => pruneFinished(store.db, 86_400_000), ...failoverTasks(rt), ...diagnosticsTasks(rt), ...directoryTasks(rt), ...auditTasks(rt), ...campaignTasks(rt), ...(opts.sandbox?.demo ? [() => ensureDemoCampaign(rt, DEFAULT_TENANT)] : [])], opts.schedulerTickMs ?? 5_000, (e) => log.error({ err: e }, 'scheduler task failed'));
  }

  let api: FastifyInstance | undefined;
  let url: string | undefined;
  let firstSignIn: Running['firstSignIn'];
  let unregister = (): void => {};
  if (opts.port !== undefined) {
    const host = opts.host ?? '127.0.0.1';
    const tlsCert = env['TLS_CERT'];
    const tlsKey = env['TLS_KEY'];
    const https = tlsCert && tlsKey ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
    const trustProxy = ['1', 'true', 'yes'].includes((env['SYNCWARDEN_TRUST_PROXY'] ?? '').toLowerCase());
    const publicUrl = env['SYNCWARDEN_PUBLIC_URL'] || null;
    api = await buildApi(rt, { version: packageVersion(), webDir: webDir(), https, security: { publicUrl, trustProxy, sessions: sessionSettingsFrom(env) }, metricsToken: env['SYNCWARDEN_METRICS_TOKEN'] || undefined });
    url = await api.listen({ port: opts.port, host });
    log.info({ url }, 'Syncwarden is listening');
    if (!isLoopbackHost(host) && !https && !trustProxy) {
      // Loud on purpose: passwords and session cookies would cross the network in clear text.
      log.error({ host }, `SYNCWARDEN IS LISTENING ON ${host} WITHOUT TLS: passwords and session cookies cross the network unencrypted. Set TLS_CERT and TLS_KEY, or put it behind an HTTPS proxy and set SYNCWARDEN_TRUST_PROXY=1 (and SYNCWARDEN_PUBLIC_URL).`);
    }
    const link = await ensureFirstOwner(rt, DEFAULT_TENANT, (env['SYNCWARDEN_OWNER_EMAIL'] || 'owner@localhost').toLowerCase());
    if (sandbox && opts.sandbox?.demo) await ensureDemoSsoUser(rt, DEFAULT_TENANT, sandbox, publicUrl);
    if (link) firstSignIn = { email: link.email, url: signInLinkUrl(publicUrl ?? url.replace('://127.0.0.1', '://localhost'), link.token) };
    // So the CLI finds this server's data and port (runtime/server-registry.ts).
    unregister = registerServer(env, dataDir, url);
  }

  return {
    rt,
    url,
    sandbox,
    worker,
    scheduler,
    api,
    keyHolder,
    firstSignIn,
    async stop() {
      scheduler?.stop();
      unregister();
      await api?.close();
      await worker?.stop();
      await sandbox?.close();
      await keyHolder.stop().catch((e: unknown) => log.warn({ err: e }, 'could not remove this process from key_holders'));
      auditAnchors.close();
      await store.close();
    },
  };
}
