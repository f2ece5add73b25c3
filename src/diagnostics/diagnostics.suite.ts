import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/store.js';
import type { Dialect } from '../store/db.js';
import { createRuntime, type Runtime } from '../runtime/context.js';
import { createSecretBox } from '../connections/secret-box.js';
import { createLogger } from '../runtime/logger.js';
import { createConnection } from '../connections/service.js';
import { createPolicy } from '../continuity/policies.js';
import { insertSyncUser } from '../store/sync-repo.js';
import { getConnection } from '../store/connections-repo.js';
import { newId } from '../model/ids.js';
import { queueAlert } from '../notify/outbox.js';
import { detectMassFailures } from './mass-failures.js';
import { openOrUpdateIncident } from './incidents.js';
import { queueDueDoctorRuns } from './jobs.js';

/**
 * The store side of incidents, alerts and the scheduled doctor, on the real database — and the
 * compare-and-set guarantees that let several processes run the same tasks at once.
 */
export function diagnosticsSuite(dialect: Dialect): void {
  describe(`incidents, alerts and the scheduled doctor on ${dialect}`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>;
    let rt: Runtime;
    let other: Runtime;
    const T = 'default';
    let sourceId: string;
    let destId: string;
    let policyId: string;

    beforeAll(async () => {
      store = await openTestStore(dialect);
      const key = randomBytes(32);
      rt = createRuntime({ store, secrets: createSecretBox(key), log: createLogger('silent') });
      // A second "process" on the same database.
      other = createRuntime({ store, secrets: createSecretBox(key), log: createLogger('silent') });
      const source = await createConnection(rt, T, {
        kind: 'microsoft365', name: 'Source',
        config: { tenantId: '11111111-2222-3333-4444-555555555555', clientId: '66666666-7777-8888-9999-000000000000' },
        credential: { type: 'client_secret', clientSecret: 'Abc8Q~example-secret-value-for-the-suite-01' },
      });
      const dest = await createConnection(rt, T, {
        kind: 'google_workspace', name: 'Destination',
        config: { serviceAccountEmail: 'sync@proj-1.iam.gserviceaccount.com', adminEmail: 'admin@example.com', domain: 'example.com' },
        credential: { type: 'impersonation' },
      });
      sourceId = source.id;
      destId = dest.id;
      policyId = (await createPolicy(rt, T, { name: 'Ten users', sourceConnectionId: sourceId, destinationConnectionId: destId })).id;
      const now = new Date().toISOString();
      for (let i = 0; i < 10; i++) {
        await insertSyncUser(store.db, T, {
          id: newId('su'), policy_id: policyId, source_user_id: `u${i}`, email: `u${i}@example.com`, display_name: `User ${i}`, given_name: null, surname: null,
          destination_email: `u${i}@example.com`, destination_user_id: null, status: 'synced', exported: 0, imported: 0, failed_items: 0, last_error_json: null,
          last_sync_at: now, next_sync_at: null, created_at: now, updated_at: now,
          // The table's defaults fill the columns this test does not care about.
        } as Parameters<typeof insertSyncUser>[2]);
      }
    });
    afterAll(async () => {
      await store?.close();
    });

    const setFailed = async (n: number, code: string, params: Record<string, unknown>) => {
      const ids = (await store.db.selectFrom('sync_users').select('id').where('tenant_id', '=', T).orderBy('source_user_id').limit(n).execute()).map((r) => r.id);
      await store.db.updateTable('sync_users').set({ status: 'failed', last_error_json: JSON.stringify({ code, params }) }).where('id', 'in', ids).execute();
    };

    it('a few users failing alike is not an incident; most of them is one, on the connection the error belongs to', async () => {
      await setFailed(4, 'provider.unavailable', { provider: 'Microsoft Graph', status: 'HTTP 503' });
      expect(await detectMassFailures(rt)).toBe(0);
      await setFailed(6, 'provider.unavailable', { provider: 'Microsoft Graph', status: 'HTTP 503' });
      expect(await detectMassFailures(rt)).toBe(1);
      expect(await detectMassFailures(other)).toBe(0);
      const incidents = await store.db.selectFrom('incidents').selectAll().execute();
      expect(incidents.map((i) => [i.connection_id, i.state, i.trigger, i.code, i.affected_users])).toEqual([[sourceId, 'open', 'user_failures', 'provider.unavailable', 10]]);
      expect(incidents[0]!.detail).toBe('6 of 10 users of the policy "Ten users" failed with this error');
      const statuses = await store.db.selectFrom('sync_users').select('status').where('policy_id', '=', policyId).execute();
      expect(new Set(statuses.map((s) => s.status))).toEqual(new Set(['blocked']));
    });

    it('two processes noticing the same failure open one incident', async () => {
      const dest = (await getConnection(store.db, T, destId))!;
      const error = { code: 'google.api_disabled' as const, params: { api: 'Gmail API', project: 'p' } };
      const [a, b] = await Promise.all([openOrUpdateIncident(rt, T, dest, error, 'sync'), openOrUpdateIncident(other, T, dest, error, 'sync')]);
      expect([a.opened, b.opened].filter(Boolean)).toHaveLength(1);
      expect(a.incident.id).toBe(b.incident.id);
      const open = await store.db.selectFrom('incidents').selectAll().where('connection_id', '=', destId).where('state', '=', 'open').execute();
      expect(open).toHaveLength(1);
      expect(Number(open[0]!.occurrences)).toBe(2);
      const alerts = await store.db.selectFrom('alerts').select(['event', 'subject_id']).where('event', '=', 'incident.opened').execute();
      expect(alerts.filter((x) => x.subject_id === open[0]!.id)).toHaveLength(1);
    });

    it('an alert is queued once per change of state, however often it is noticed', async () => {
      const payload = { event: 'alert.test' as const, severity: 'info' as const, title: 't', summary: 's', link: '#/alerts' };
      const results = await Promise.all([1, 2, 3].map((i) => queueAlert(i % 2 ? rt : other, T, 'test:once', { type: 'x', id: 'y', name: 'z' }, payload)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const jobs = await store.db.selectFrom('jobs').select('dedupe_key').where('kind', '=', 'alert.deliver').execute();
      const alert = await store.db.selectFrom('alerts').select('id').where('dedupe_key', '=', 'test:once').executeTakeFirstOrThrow();
      expect(jobs.filter((j) => j.dedupe_key === `alert:${alert.id}`)).toHaveLength(1);
    });

    it('the scheduled doctor is claimed by one process only', async () => {
      await store.db.updateTable('connections').set({ next_doctor_at: new Date(Date.now() - 1000).toISOString() }).execute();
      await store.db.deleteFrom('jobs').where('kind', '=', 'connection.doctor').execute();
      const [a, b] = await Promise.all([queueDueDoctorRuns(rt), queueDueDoctorRuns(other)]);
      expect(a + b).toBe(2);
      const jobs = await store.db.selectFrom('jobs').select(['dedupe_key', 'payload_json']).where('kind', '=', 'connection.doctor').execute();
      expect(jobs.map((j) => j.dedupe_key).sort()).toEqual([`doctor:${destId}`, `doctor:${sourceId}`].sort());
      const next = await store.db.selectFrom('connections').select('next_doctor_at').execute();
      for (const n of next) expect(Date.parse(n.next_doctor_at!)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
      expect(await queueDueDoctorRuns(rt)).toBe(0);
    });
  });
}
