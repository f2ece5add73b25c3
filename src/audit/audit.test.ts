import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/store.js';
import { queryAudit, recordAudit, verifyChain } from './audit.js';

describe('audit log query', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
    for (const action of ['policy.held_cycle_approved', 'policy.heldXcycle', 'directory.sync_failed', 'directory.rules_changed']) {
      await recordAudit(store.db, store.dialect, 't1', { severity: 'info', action, message: action });
    }
  });
  afterAll(async () => store?.close());

  it('filters by action prefix, taking "_" and "%" literally', async () => {
    const actions = async (action: string) => (await queryAudit(store.db, 't1', { action, limit: 50 })).map((r) => r.action).sort();
    expect(await actions('policy.held_cycle')).toEqual(['policy.held_cycle_approved']);
    expect(await actions('directory.')).toEqual(['directory.rules_changed', 'directory.sync_failed']);
    expect(await actions('directory.sync_failed')).toEqual(['directory.sync_failed']);
    expect(await actions('%')).toEqual([]);
    expect(await verifyChain(store.db, 't1')).toBeNull();
  });
});
