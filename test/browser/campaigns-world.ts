import type { Running } from '../../src/runtime/start.js';
import { apiClient, ensureUser, sessionFor, tokenFor, type ApiFn } from '../support/auth.js';
import type { Browser, Page } from 'playwright-core';

/**
 * What the certification browser tests share: the demo's directories read, a reviewer (a
 * Syncwarden user with the Reviewer role) and a campaign over the demo directories whose items
 * all go to that reviewer (named mode), made through the API as an admin would.
 */
export const REVIEWER_EMAIL = 'rita.reviewer@example.test';
export const COLLEAGUE_EMAIL = 'colin.colleague@example.test';

export async function waitForDirectories(api: ApiFn, timeoutMs = 150_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await api('/directory/connections');
    const list = (r.body ?? []) as { connectionId: string; lastSuccessAt: string | null; state: string }[];
    if (r.status === 200 && list.length > 0 && list.every((s) => s.lastSuccessAt !== null && s.state !== 'running' && s.state !== 'queued')) return list.map((s) => s.connectionId);
    if (Date.now() > until) throw new Error(`the demo directories did not sync in time: ${JSON.stringify(list.map((s) => [s.connectionId, s.state]))}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

export interface World { reviewerId: string; colleagueId: string; ownerId: string; connectionIds: string[]; reviewerApi: ApiFn }

/** `writeBack`: consent to write-back on every demo directory (revocations are then written back, and count for the circuit breaker). */
export async function prepareWorld(running: Running, api: ApiFn, opts: { writeBack?: boolean } = {}): Promise<World> {
  const reviewerId = await ensureUser(running.rt, 'reviewer', REVIEWER_EMAIL);
  const colleagueId = await ensureUser(running.rt, 'reviewer', COLLEAGUE_EMAIL);
  const me = await api('/auth/me');
  const connectionIds = await waitForDirectories(api);
  if (opts.writeBack) {
    for (const id of connectionIds) {
      const r = await api(`/connections/${id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
      if (r.status !== 200) throw new Error(`write-back consent on ${id}: ${r.status} ${r.text}`);
    }
  }
  const reviewerApi = apiClient(running.url!, { authorization: `Bearer ${await tokenFor(running.rt, reviewerId, 'reviewer', 'browser-test-reviewer')}` });
  return { reviewerId, colleagueId, ownerId: me.body.user.id as string, connectionIds, reviewerApi };
}

/** The campaign input the tests use: every demo directory, memberships, reviewed by the reviewer. */
export function campaignInput(w: World, name: string, breakerShare = 0.2): Record<string, unknown> {
  return {
    name,
    connectionIds: w.connectionIds,
    kinds: ['group_membership', 'scim_group_membership', 'aws_group_membership'],
    reviewers: { mode: 'named', userIds: [w.reviewerId], fallbackUserId: w.ownerId },
    durationDays: 14,
    noResponse: 'keep',
    justification: 'on_revoke',
    breaker: { maxShareOfResource: breakerShare, maxPerConnection: 500 },
  };
}

export async function createStartedCampaign(w: World, api: ApiFn, name: string): Promise<{ id: string; items: number }> {
  const created = await api('/campaigns', { method: 'POST', body: JSON.stringify(campaignInput(w, name)) });
  if (created.status >= 300) throw new Error(`create campaign: ${created.status} ${created.text}`);
  const id = created.body.campaign.id as string;
  const started = await api(`/campaigns/${id}/start`, { method: 'POST', body: '{}' });
  if (started.status >= 300) throw new Error(`start campaign: ${started.status} ${started.text}`);
  return { id, items: started.body.campaign.totals.items as number };
}

/** A second page in the same browser, signed in as `userId` (a Viewer, a reviewer). */
export async function pageAs(browser: Browser, running: Running, userId: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const s = await sessionFor(running.rt, userId);
  await context.addCookies([
    { name: 'sw_session', value: s.token, url: running.url!, httpOnly: true, sameSite: 'Lax' },
    { name: 'sw_csrf', value: s.csrf, url: running.url!, sameSite: 'Lax' },
  ]);
  return context.newPage();
}
