import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { listConnectionViews, removeConnection } from '../src/connections/service.js';
import { DEMO_DESTINATION_NAME, DEMO_DIRECTORY_NAMES, DEMO_SOURCE_NAME } from '../src/runtime/demo.js';

/**
 * `npm start` on a fresh data directory: the demo tenant shows the continuity pair with its
 * policy, and a read-only directory connection to each of the sandbox's demo directories, all
 * tested healthy on start. Made once: a restart adds nothing, and a demo connection the admin
 * deleted stays deleted.
 */
describe('the demo tenant', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-demo-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const boot = () => startSyncwarden({ dataDir, sandbox: { basePort: 0, demo: true }, env: {}, log: createLogger('silent') });

  it('wires continuity and the four directory connections, read-only and tested', async () => {
    const running = await boot();
    try {
      const views = await listConnectionViews(running.rt, DEFAULT_TENANT);
      expect(views.map((v) => `${v.kind}/${v.role}/${v.status}`).sort()).toEqual([
        'aws_iam/directory/active',
        'google_workspace/continuity_destination/active',
        'google_workspace/directory/active',
        'microsoft365/continuity_source/active',
        'microsoft365/directory/active',
        'scim/directory/active',
      ]);
      expect(views.map((v) => v.name)).toEqual(expect.arrayContaining([DEMO_SOURCE_NAME, DEMO_DESTINATION_NAME, ...Object.values(DEMO_DIRECTORY_NAMES)]));
      for (const v of views.filter((x) => x.role === 'directory')) {
        expect(v.writeBack.enabled, v.name).toBe(false);
        expect(v.scope, v.name).toEqual({ includeGuests: false, includeExternal: false, includeDisabled: false });
        expect(v.findings?.every((f) => f.status === 'pass' || f.status === 'skipped'), v.name).toBe(true);
      }
      const aws = views.find((v) => v.kind === 'aws_iam')!;
      expect(aws.credential).toMatchObject({ type: 'assume_role', meta: { createdAtKnown: true } });
      const policies = await running.rt.store.db.selectFrom('policies').select(['name', 'enabled']).where('tenant_id', '=', DEFAULT_TENANT).execute();
      expect(policies).toEqual([{ name: 'All Northwind users', enabled: 1 }]);
      await removeConnection(running.rt, DEFAULT_TENANT, views.find((v) => v.name === DEMO_DIRECTORY_NAMES.scim)!.id);
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('a restart adds nothing, and does not bring back a demo connection the admin deleted', async () => {
    const running = await boot();
    try {
      const names = (await listConnectionViews(running.rt, DEFAULT_TENANT)).map((v) => v.name);
      expect(names.length).toBe(5);
      expect(names).not.toContain(DEMO_DIRECTORY_NAMES.scim);
    } finally {
      await running.stop();
    }
  }, 60_000);
});
