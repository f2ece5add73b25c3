import { expect } from 'vitest';
import type { ApiFn } from './auth.js';

/**
 * Creates and starts a manager-mode campaign over one connection's group memberships (the
 * breaker wide open: these tests look at who reviews, not at applying), and returns its id.
 */
export async function startManagerCampaign(api: ApiFn, name: string, connectionId: string, fallbackUserId: string): Promise<string> {
  const created = await api('/campaigns', {
    method: 'POST',
    body: JSON.stringify({
      name, connectionIds: [connectionId], kinds: ['group_membership'], reviewers: { mode: 'manager', fallbackUserId },
      durationDays: 14, noResponse: 'keep', justification: 'on_revoke', breaker: { maxShareOfResource: 1, maxPerConnection: 10_000 },
    }),
  });
  expect(created.status, created.text).toBe(201);
  const started = await api(`/campaigns/${created.body.campaign.id}/start`, { method: 'POST', body: '{}' });
  expect(started.status, started.text).toBe(200);
  return created.body.campaign.id as string;
}
