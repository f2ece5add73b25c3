import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { syntheticMessageId } from '../../src/continuity/message-id.js';
import type { Dialect } from '../../src/store/db.js';
import { bootApp } from './app.js';
import { sandboxAdmin, waitFor } from './sandbox-admin.js';

export type App = Awaited<ReturnType<typeof bootApp>>;

/**
 * A Syncwarden installation wired to a separately running sandbox, the way an admin wires
 * it to real tenants: connections created and tested through the API, a policy enabled.
 */
export async function continuityWorld(dialect: Dialect, opts: { workers?: number; selection?: unknown; windowDays?: number; realQuotas?: boolean } = {}) {
  const sandbox = await startSandbox({});
  const keyFile = join(await import('node:os').then((os) => os.tmpdir()), `sw-tp-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
  const app = await bootApp({
    dialect,
    env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile },
    worker: { concurrency: opts.workers ?? 4 },
    scheduler: true,
    schedulerTickMs: 200,
  });
  const ms = sandbox.demo.microsoft;
  const g = sandbox.demo.google;
  const source = await app.api('/connections', {
    method: 'POST',
    body: JSON.stringify({
      kind: 'microsoft365', name: 'Northwind M365',
      config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
    }),
  });
  const destination = await app.api('/connections', {
    method: 'POST',
    body: JSON.stringify({
      kind: 'google_workspace', name: 'Northwind Google',
      config: { serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis } },
      credential: { type: 'impersonation' },
    }),
  });
  if (source.status !== 201 || destination.status !== 201) throw new Error(`connection setup failed: ${source.text} ${destination.text}`);
  if (!opts.realQuotas) {
    // Correctness scenarios need not wait for Gmail's real 6,000 units per user per minute
    // (benchmarks run at the real quotas): raise the sandbox's quota and the budget alike.
    await sandboxAdmin(sandbox, 'POST', '/google/quotas', { userUnitsPerMinute: 600_000 });
    const b = await app.api('/continuity/budgets', { method: 'PATCH', body: JSON.stringify({ destinationUser: { unitsPerMinute: 600_000 } }) });
    if (b.status !== 200) throw new Error(`budgets: ${b.text}`);
  }
  return {
    sandbox,
    app,
    sourceId: source.body.id as string,
    destinationId: destination.body.id as string,
    async createPolicy(enabled = true) {
      const r = await app.api('/policies', {
        method: 'POST',
        body: JSON.stringify({ name: 'All users', sourceConnectionId: source.body.id, destinationConnectionId: destination.body.id, enabled, initialWindowDays: opts.windowDays ?? 30, ...(opts.selection ? { selection: opts.selection } : {}) }),
      });
      if (r.status !== 201) throw new Error(`policy: ${r.text}`);
      return r.body.id as string;
    },
    async close() {
      await app.stop();
      await sandbox.close();
    },
  };
}

export interface SyncUserJson {
  id: string; email: string; destinationEmail: string; status: string; exported: number; imported: number; failedItems: number;
  lastError: { code: string } | null; lastSyncAt: string | null; nextSyncAt: string | null; updatedAt: string;
}

export async function syncUsers(app: App): Promise<{ users: SyncUserJson[]; counts: Record<string, number> }> {
  return (await app.api('/sync/users?limit=1000')).body;
}

/** Waits until no user is pending or in initial sync and no job is queued or running. */
export async function waitForQuiet(app: App, expectUsers: number, timeoutMs = 90_000): Promise<SyncUserJson[]> {
  return waitFor(
    'the sync to settle',
    async () => {
      const { users } = await syncUsers(app);
      if (users.length < expectUsers) return undefined;
      if (users.some((u) => u.status === 'pending' || u.status === 'initial_sync')) return undefined;
      const busy = await app.rt.store.db
        .selectFrom('jobs')
        .select('id')
        .where((eb) => eb.or([eb('status', '=', 'running'), eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', new Date(Date.now() + 1000).toISOString())])]))
        .execute();
      return busy.length === 0 ? users : undefined;
    },
    timeoutMs,
    250,
  );
}

export interface SourceMailbox {
  folders: { id: string; path: string[]; wellKnownName: string | null; isHidden: boolean; messages: { id: string; internetMessageId: string | null; subject: string; receivedDateTime: string; isRead: boolean; isDraft: boolean; flagged: boolean }[] }[];
}

/**
 * What the destination must hold for one user: the Message-IDs of every source message in
 * the window (drafts carry the synthetic id Syncwarden gives them), with "either" for those
 * within a few minutes of the window's edge (the edge moves while the test runs).
 */
export async function expectedMessageIds(sandbox: Sandbox, upn: string, windowDays: number): Promise<{ must: Set<string>; may: Set<string> }> {
  const mb = await sandboxAdmin<SourceMailbox>(sandbox, 'GET', `/microsoft/mailboxes/${encodeURIComponent(upn)}`);
  const edge = Date.now() - windowDays * 86_400_000;
  const must = new Set<string>();
  const may = new Set<string>();
  for (const f of mb.folders) {
    if (f.isHidden || f.wellKnownName === 'outbox') continue;
    for (const m of f.messages) {
      const id = m.internetMessageId ?? syntheticMessageId(m.id);
      const t = Date.parse(m.receivedDateTime);
      if (Math.abs(t - edge) < 10 * 60_000) may.add(id);
      else if (t > edge) must.add(id);
    }
  }
  return { must, may };
}

export async function destinationMessages(sandbox: Sandbox, email: string): Promise<{ rfc822MessageId: string | null; labelNames: string[]; labelIds: string[] }[]> {
  try {
    return (await sandboxAdmin<{ messages: { rfc822MessageId: string | null; labelNames: string[]; labelIds: string[] }[] }>(sandbox, 'GET', `/google/users/${encodeURIComponent(email)}/messages`)).messages;
  } catch {
    return [];
  }
}

export interface UserDetailJson extends SyncUserJson {
  throttledBy: string | null; resumesAt: string | null; nextSyncAt: string | null; consecutiveFailures: number; destinationCreated: boolean;
  exclusion: { reason: string | null; deleteAfter: string | null; destinationDeletedAt: string | null } | null;
  folders: { id: string; name: string; label: string | null; phase: string; windowTotal: number | null; imported: number; failed: number; reconciliation: any }[];
}

export async function userDetail(app: App, key: string): Promise<UserDetailJson> {
  const r = await app.api(`/sync/users/${encodeURIComponent(key)}`);
  if (r.status !== 200) throw new Error(`user ${key}: ${r.text}`);
  return r.body;
}

/**
 * Runs one cycle of the policy now and waits until every user of it that is not excluded
 * (or the ones named) finished a run that started after the request: a success, or a
 * failure status. Returns the users then.
 */
export async function runCycle(app: App, policyId: string, opts: { timeoutMs?: number; settled?: (u: SyncUserJson & { lastAttemptAt?: string }) => boolean } = {}): Promise<SyncUserJson[]> {
  const started = new Date().toISOString();
  // A cycle that *starts* after this moment: one the scheduler began earlier may not see the
  // changes the test just made, so ask again until a cycle started after `started` is done.
  await waitFor('a policy cycle started after the request', async () => {
    const live = await app.rt.store.db.selectFrom('jobs').select('id').where('kind', '=', 'policy.cycle').where('status', 'in', ['queued', 'running']).execute();
    if (live.length > 0) return undefined;
    const policy = (await app.api(`/policies/${policyId}`)).body as { lastCycleAt: string | null };
    if (policy.lastCycleAt !== null && policy.lastCycleAt >= started) return true;
    const r = await app.api(`/policies/${policyId}/run`, { method: 'POST' });
    if (r.status !== 202) throw new Error(`run: ${r.text}`);
    return undefined;
  }, opts.timeoutMs ?? 60_000, 100);
  return waitFor(
    'the users to finish a run',
    async () => {
      const users = (await app.api(`/sync/users?policyId=${policyId}&limit=1000`)).body.users as SyncUserJson[];
      const busy = await app.rt.store.db.selectFrom('jobs').select('id').where('kind', '=', 'user.sync').where('status', '=', 'running').execute();
      const settled = (u: SyncUserJson) =>
        u.status === 'excluded' ||
        // Quarantined and not due: this cycle leaves the user alone.
        (u.status === 'quarantined' && (u.nextSyncAt ?? '') > started) ||
        (['synced', 'failed', 'quarantined', 'blocked'].includes(u.status) && u.updatedAt >= started);
      const done = users.every((u) => (opts.settled ? opts.settled(u) : settled(u)));
      return done && busy.length === 0 ? users : undefined;
    },
    opts.timeoutMs ?? 60_000,
    150,
  );
}

export async function sourceMailbox(sandbox: Sandbox, upn: string): Promise<SourceMailbox> {
  return sandboxAdmin<SourceMailbox>(sandbox, 'GET', `/microsoft/mailboxes/${encodeURIComponent(upn)}`);
}

export interface DestinationMessage { id: string; rfc822MessageId: string | null; labelNames: string[]; labelIds: string[]; subject: string; draftId: string | null }

export async function destinationMessagesFull(sandbox: Sandbox, email: string): Promise<DestinationMessage[]> {
  return (await sandboxAdmin<{ messages: DestinationMessage[] }>(sandbox, 'GET', `/google/users/${encodeURIComponent(email)}/messages`)).messages;
}
