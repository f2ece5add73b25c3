import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { bootApp } from './support/app.js';
import { waitFor } from './support/sandbox-admin.js';
import { createLogger } from '../src/runtime/logger.js';

type App = Awaited<ReturnType<typeof bootApp>>;

/** Parses the Prometheus text format into { 'name{labels}': value }. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/**
 * The operator's endpoints on the demo (sandbox, worker and scheduler running): liveness,
 * readiness (database and migrations), and metrics that agree with the database.
 */
describe('operability: /healthz, /readyz, /metrics', () => {
  let app: App;
  beforeAll(async () => {
    app = await bootApp({ sandbox: { basePort: 0, demo: true }, worker: { concurrency: 4 }, scheduler: true, schedulerTickMs: 200 });
  }, 120_000);
  afterAll(async () => app?.stop());

  it('is alive and ready: the database answers and every migration ran', async () => {
    const live = await fetch(`${app.url}/healthz`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: [{ name: 'database', ok: true }, { name: 'migrations', ok: true }] });
  });

  it('metrics count sync users per status, items, jobs, budgets and directory runs as the database holds them', async () => {
    const db = app.rt.store.db;
    // The demo policy syncs its users; the directory connections run their first syncs.
    await waitFor('the demo users to sync', async () => ((await db.selectFrom('sync_users').select('status').where('status', '=', 'synced').execute()).length >= 3 ? true : undefined), 90_000);
    await waitFor('a finished directory sync', async () => ((await db.selectFrom('dir_runs').select('id').where('finished_at', 'is not', null).execute()).length > 0 ? true : undefined), 90_000);

    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const m = samples(text);
    // Every family is described for Prometheus.
    for (const name of ['syncwarden_sync_users', 'syncwarden_items_synced', 'syncwarden_jobs', 'syncwarden_job_wait_seconds', 'syncwarden_rate_budget_used_ratio', 'syncwarden_errors', 'syncwarden_directory_sync_last_duration_seconds', 'syncwarden_process_resident_memory_bytes']) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    // Users per status: the sum equals the users in the database (the scrape's own moment).
    const users = [...m].filter(([k]) => k.startsWith('syncwarden_sync_users{'));
    expect(users.length).toBeGreaterThan(0);
    const total = users.reduce((a, [, v]) => a + v, 0);
    const inDb = await db.selectFrom('sync_users').select((eb) => eb.fn.countAll<number>().as('n')).where('excluded_at', 'is', null).executeTakeFirstOrThrow();
    expect(total).toBe(Number(inDb.n));
    expect(m.get('syncwarden_sync_users{tenant="default",status="synced"}')).toBeGreaterThanOrEqual(3);
    // Items imported: what the users' counters say.
    const imported = m.get('syncwarden_items_synced{tenant="default",outcome="imported"}') ?? 0;
    expect(imported).toBeGreaterThan(0);
    // The destination project budget was spent, within its limit.
    const project = m.get('syncwarden_rate_budget_used_ratio{budget="destination:project"}');
    expect(project).toBeDefined();
    expect(project!).toBeGreaterThanOrEqual(0);
    expect(project!).toBeLessThanOrEqual(1);
    // The last directory sync of a connection: a duration and the objects it read.
    const durations = [...m].filter(([k]) => k.startsWith('syncwarden_directory_sync_last_duration_seconds{'));
    expect(durations.length).toBeGreaterThan(0);
    for (const [, v] of durations) expect(v).toBeGreaterThanOrEqual(0);
    expect([...m].some(([k, v]) => k.startsWith('syncwarden_directory_sync_last_objects{') && v > 0)).toBe(true);
  }, 150_000);

  it('metrics show a failing user under its catalogue code', async () => {
    const db = app.rt.store.db;
    const user = await db.selectFrom('sync_users').select(['id', 'tenant_id']).limit(1).executeTakeFirstOrThrow();
    // A user the destination refused, as the continuity engine records it.
    await db.updateTable('sync_users').set({ last_error_json: JSON.stringify({ code: 'google.user_not_found', params: {} }) }).where('id', '=', user.id).execute();
    const m = samples(await (await fetch(`${app.url}/metrics`)).text());
    expect(m.get('syncwarden_errors{area="continuity",code="google.user_not_found"}')).toBeGreaterThanOrEqual(1);
  });

  it('a database that does not answer makes the process not ready, while it stays alive', async () => {
    const other = await bootApp();
    try {
      await other.rt.store.close();
      const ready = await fetch(`${other.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: [{ name: 'database', ok: false }] });
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    } finally {
      await other.stop().catch(() => undefined);
    }
  });

  it('with SYNCWARDEN_METRICS_TOKEN set, /metrics answers the bearer of that token only', async () => {
    const other = await bootApp({ env: { SYNCWARDEN_METRICS_TOKEN: 'scrape-secret-1' } });
    try {
      expect((await fetch(`${other.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${other.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(`${other.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret-1' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('syncwarden_jobs');
    } finally {
      await other.stop();
    }
  });

  it('every answer carries a request id, found again on its JSON log line; a proxy\'s id is kept', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });
    const other = await bootApp({ log: createLogger('debug', sink) });
    try {
      const a = await fetch(`${other.url}/api/v1/connections?search=private-term`);
      const id = a.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const b = await fetch(`${other.url}/api/v1/connections`, { headers: { 'x-request-id': 'lb-7f3a.22' } });
      expect(b.headers.get('x-request-id')).toBe('lb-7f3a.22');
      // A header that is not an id (too long, odd characters) is replaced, not echoed.
      const c = await fetch(`${other.url}/api/v1/connections`, { headers: { 'x-request-id': '<script>'.repeat(20) } });
      expect(c.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((r) => setTimeout(r, 50));
      const line = lines.find((l) => l['reqId'] === id);
      expect(line).toMatchObject({ service: 'syncwarden', method: 'GET', path: '/api/v1/connections', status: a.status });
      // The query (search terms) stays out of the log.
      expect(JSON.stringify(lines)).not.toContain('private-term');
      expect(lines.some((l) => l['reqId'] === 'lb-7f3a.22')).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
