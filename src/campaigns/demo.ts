import type { Runtime } from '../runtime/context.js';
import { DEMO_DIRECTORY_NAMES } from '../runtime/demo.js';
import { ACCESS_KINDS } from './input.js';
import { createCampaign, startCampaign } from './lifecycle.js';
import { kindsOfConnection } from './scope.js';

export const DEMO_CAMPAIGN_NAME = 'Quarterly access review (demo)';

/**
 * The demo tenant's running campaign (issue 13, point 8): once its directory connections have
 * synced (all of them, or the first a minute ago), one campaign over every kind of access they
 * offer, every item assigned to the first owner, so My reviews shows the feature at once.
 * Made once: a campaign of that name, or its creation in the audit log, means done.
 */
export async function ensureDemoCampaign(rt: Runtime, tenantId: string): Promise<boolean> {
  const db = rt.store.db;
  if (await db.selectFrom('campaigns').select('id').where('tenant_id', '=', tenantId).limit(1).executeTakeFirst()) return false;
  if (await db.selectFrom('audit_events').select('id').where('tenant_id', '=', tenantId).where('action', '=', 'campaign.created').limit(1).executeTakeFirst()) return false;
  const owner = await db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('users.id').where('memberships.tenant_id', '=', tenantId).where('memberships.role', '=', 'owner').orderBy('users.created_at').executeTakeFirst();
  if (!owner) return false;
  const conns = await db.selectFrom('connections').select(['id', 'kind', 'name']).where('tenant_id', '=', tenantId).where('role', '=', 'directory').where('name', 'in', Object.values(DEMO_DIRECTORY_NAMES)).execute();
  if (conns.length === 0) return false;
  const states = await db.selectFrom('dir_state').select(['connection_id', 'last_success_at']).where('tenant_id', '=', tenantId).where('connection_id', 'in', conns.map((c) => c.id)).execute();
  const synced = states.filter((s) => s.last_success_at);
  if (synced.length === 0) return false;
  const first = Math.min(...synced.map((s) => Date.parse(s.last_success_at!)));
  if (synced.length < conns.length && rt.now() - first < 60_000) return false;
  const ids = synced.map((s) => s.connection_id);
  const kinds = ACCESS_KINDS.filter((k) => conns.some((c) => ids.includes(c.id) && kindsOfConnection(c.kind).includes(k)));
  const campaign = await createCampaign(rt, tenantId, {
    name: DEMO_CAMPAIGN_NAME, description: 'A demo certification over the sandbox directories: every item is yours to review.',
    connectionIds: ids, kinds, reviewers: { mode: 'named', userIds: [owner.id], fallbackUserId: owner.id },
    durationDays: 14, noResponse: 'keep', justification: 'on_revoke', recurrence: { every: 'quarterly' },
  }, { userId: owner.id, actor: 'system' });
  await startCampaign(rt, tenantId, campaign.id, 'system');
  return true;
}
