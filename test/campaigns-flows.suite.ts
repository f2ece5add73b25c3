import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { closeDue, startDueOccurrences } from '../src/campaigns/jobs.js';
import { escalateDue } from '../src/campaigns/notices.js';
import { addMonths } from '../src/campaigns/recurrence.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { bootApp, type BootedApp } from './support/app.js';
import { scimBody } from './support/connections.js';
import { apiClient, ensureUser, tokenFor, type ApiFn } from './support/auth.js';

const DAY = 86_400_000;

/**
 * Issue 13, the campaign paths the main suite does not walk, through the REST API against the
 * sandbox's SCIM app, with the runtime's injectable clock moved forward instead of waiting:
 * the scope preview's fallback count, the per-item justification flag, bulk decisions that keep
 * what was already decided, escalation that adds a decider, a reviewer's own campaign list, two
 * stages (the second sees the first's decisions; decisions change until a stage closes), the
 * deadline closing a campaign and applying it when so set (the breaker still holds), recurrence.
 * The scheduler's tasks are called directly, as the scheduler would on its tick.
 */
export function campaignFlowsSuite(dialect: Dialect): void {
  describe(`campaign flows on ${dialect}`, () => {
    let sandbox: Sandbox;
    let app: BootedApp;
    let scim: string;
    let fallbackId: string;
    let fallbackApi: ApiFn;
    let clock = Date.parse('2027-01-31T09:00:00.000Z');
    const advance = (ms: number) => { clock += ms; };
    const post = (path: string, b: unknown = {}, as: ApiFn = app.api) => as(path, { method: 'POST', body: JSON.stringify(b) });
    const body = (over: Record<string, unknown> = {}) => ({
      name: 'Flows', connectionIds: [scim], kinds: ['scim_group_membership'], durationDays: 14, noResponse: 'keep', justification: 'on_revoke',
      reviewers: { mode: 'named', userIds: [fallbackId], fallbackUserId: fallbackId }, breaker: { maxShareOfResource: 1, maxPerConnection: 100_000 }, ...over,
    });
    /** A reviewer (role Reviewer) with their own API client. */
    const reviewer = async (name: string) => {
      const userId = await ensureUser(app.rt, 'reviewer', `${name}@example.test`);
      return { userId, api: apiClient(app.url!, { authorization: `Bearer ${await tokenFor(app.rt, userId, 'reviewer', `t-${name}`)}` }) };
    };
    const started = async (over: Record<string, unknown>) => {
      const c = await post('/campaigns', body(over));
      expect(c.status, c.text).toBe(201);
      const s = await post(`/campaigns/${c.body.campaign.id}/start`);
      expect(s.status, s.text).toBe(200);
      return s.body.campaign as { id: string; name: string; totals: { items: number }; deadline: string; nextStartAt: string | null; startedAt: string };
    };
    const campaign = async (id: string) => (await app.api(`/campaigns/${id}`)).body.campaign;
    const itemsOf = async (id: string) => (await app.api(`/campaigns/${id}/items?limit=500`)).body.items as any[];
    const auditOf = async (action: string) => ((await app.api('/audit?limit=1000')).body.events as { action: string; message: string; targetId: string | null }[]).filter((e) => e.action === action);

    beforeAll(async () => {
      sandbox = await startSandbox({});
      app = await bootApp({ dialect, now: () => clock });
      const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox, { config: { massRemovalPercent: 100 } })) });
      expect(c.status, c.text).toBe(201);
      scim = c.body.id;
      expect((await runDirectorySync(app.rt, DEFAULT_TENANT, scim, { mode: 'full' })).status).toBe('succeeded');
      await correlateIdentities(app.rt, DEFAULT_TENANT);
      fallbackId = await ensureUser(app.rt, 'admin', 'fallback@example.test');
      fallbackApi = apiClient(app.url!, { authorization: `Bearer ${await tokenFor(app.rt, fallbackId, 'admin', 'fb')}` });
    }, 120_000);
    afterAll(async () => {
      await app?.stop();
      await sandbox?.close();
    });

    it('the scope preview counts the items that fall to the fallback reviewer, apart from the unassigned', async () => {
      // One manager of the directory becomes a Syncwarden user: their reports' items go to them, the rest to the fallback.
      const rows = await app.rt.store.db.selectFrom('dir_accounts').select(['external_id', 'email', 'attributes_json']).where('connection_id', '=', scim).execute();
      const byId = new Map(rows.map((r) => [r.external_id, r]));
      const managerId = rows.map((r) => (JSON.parse(r.attributes_json) as { managerId?: string }).managerId).find((m) => m && byId.get(m)?.email)!;
      const manager = await ensureUser(app.rt, 'reviewer', byId.get(managerId)!.email!);
      const p = await post('/campaigns/preview', body({ reviewers: { mode: 'manager', fallbackUserId: fallbackId } }));
      expect(p.status, p.text).toBe(200);
      const of = (id: string) => (p.body.reviewers as { reviewer: { userId: string }; items: number }[]).find((r) => r.reviewer.userId === id)?.items ?? 0;
      expect(of(manager)).toBeGreaterThan(0);
      expect(p.body.fallback).toBe(of(fallbackId));
      expect(p.body.fallback).toBeGreaterThan(0);
      expect(p.body.fallback + of(manager) + p.body.unassigned).toBe(p.body.items);
      expect(p.body.fallbackSample.length).toBe(Math.min(20, p.body.fallback));
      expect(p.body.fallbackSample[0].why).toMatch(/manager/);
      // Named reviewers who are not the people reviewed: nothing falls to the fallback.
      const named = await reviewer('named-preview');
      const q = await post('/campaigns/preview', body({ reviewers: { mode: 'named', userIds: [named.userId], fallbackUserId: fallbackId } }));
      expect(q.body.fallback).toBe(0);
      expect(q.body.fallbackSample).toEqual([]);
    });

    let decider: Awaited<ReturnType<typeof reviewer>>;
    let always: Awaited<ReturnType<typeof started>>;
    let onRevoke: Awaited<ReturnType<typeof started>>;

    it('each item says whether a justification is required (on Revoke, or always)', async () => {
      decider = await reviewer('decider');
      always = await started({ name: 'Always justify', justification: 'always', reviewers: { mode: 'named', userIds: [decider.userId], fallbackUserId: fallbackId } });
      onRevoke = await started({ name: 'Justify revocations', justification: 'on_revoke', reviewers: { mode: 'named', userIds: [decider.userId], fallbackUserId: fallbackId } });
      const a = (await decider.api(`/reviews?campaign=${always.id}&limit=500`)).body.items as any[];
      const r = (await decider.api(`/reviews?campaign=${onRevoke.id}&limit=500`)).body.items as any[];
      expect(a.length).toBe(always.totals.items);
      expect(r.length).toBe(onRevoke.totals.items);
      for (const i of a) expect(i.justificationRequired).toEqual({ approve: true, revoke: true });
      for (const i of r) expect(i.justificationRequired).toEqual({ approve: false, revoke: true });
      // The flag tells the truth: the server refuses what it says needs a justification.
      const refused = await post('/reviews/decide', { itemIds: [a[0].id], decision: 'approve' }, decider.api);
      expect(refused.body.error.code).toBe('campaigns.justification_required');
      expect((await post('/reviews/decide', { itemIds: [r[0].id], decision: 'approve' }, decider.api)).body.decided).toBe(1);
    });

    it('a bulk decision over a filter, and "accept recommendations", keep items already decided unless asked', async () => {
      const mine = (await decider.api(`/reviews?campaign=${onRevoke.id}&status=all&limit=500`)).body.items as any[];
      expect(mine.length).toBeGreaterThan(3);
      const [approved, revoked, third] = mine;
      expect((await post('/reviews/decide', { itemIds: [revoked.id], decision: 'revoke', justification: 'Left the team' }, decider.api)).body.decided).toBe(1);
      // Over the filter: every open item, not the two decided (the approve of the test before, the revoke just now).
      const bulk = await post('/reviews/decide', { filter: { campaign: onRevoke.id }, decision: 'approve' }, decider.api);
      expect(bulk.status, bulk.text).toBe(200);
      expect(bulk.body).toEqual({ decided: mine.length - 2, keptDecided: 2 });
      const after = async (id: string) => (await decider.api(`/reviews/${id}`)).body.item;
      expect((await after(revoked.id)).decision).toBe('revoke');
      expect((await after(revoked.id)).justification).toBe('Left the team');
      expect((await after(approved.id)).decision).toBe('approve');
      // Accepting recommendations on chosen items skips the decided ones too…
      const rec = await post('/reviews/decide', { itemIds: [revoked.id, third.id], decision: 'recommendation' }, decider.api);
      expect(rec.body).toEqual({ decided: 0, keptDecided: 2 });
      expect((await after(revoked.id)).decision).toBe('revoke');
      // …unless asked to include them.
      const forced = await post('/reviews/decide', { itemIds: [revoked.id], decision: 'recommendation', includeDecided: true }, decider.api);
      expect(forced.body).toEqual({ decided: 1, keptDecided: 0 });
      expect((await after(revoked.id)).decision).toBe(revoked.recommendation.decision);
      // Approve/revoke on an explicit item changes its decision (a reviewer changing their mind).
      expect((await post('/reviews/decide', { itemIds: [approved.id], decision: 'revoke', justification: 'Second look' }, decider.api)).body).toEqual({ decided: 1, keptDecided: 0 });
      expect((await after(approved.id)).decision).toBe('revoke');
      // A bulk over the filter with includeDecided overwrites everything matched.
      const all = await post('/reviews/decide', { filter: { campaign: onRevoke.id }, decision: 'approve', includeDecided: true }, decider.api);
      expect(all.body).toEqual({ decided: mine.length, keptDecided: 0 });
      const audit = await auditOf('campaign.decided');
      expect(audit.some((e) => e.targetId === onRevoke.id && /2 already decided kept/.test(e.message))).toBe(true);
    });

    let idle: Awaited<ReturnType<typeof reviewer>>;
    let escalated: Awaited<ReturnType<typeof started>>;

    it('escalation "add": after N days without a decision the fallback sees and may decide the items too; audited once', async () => {
      idle = await reviewer('idle');
      escalated = await started({ name: 'Escalate add', reviewers: { mode: 'named', userIds: [idle.userId], fallbackUserId: fallbackId }, escalation: { afterDays: 2, to: 'fallback', mode: 'add' } });
      const n = escalated.totals.items;
      expect(await escalateDue(app.rt)).toBe(0); // not yet: the stage is not 2 days old
      advance(2 * DAY + 60_000);
      expect(await escalateDue(app.rt)).toBe(1);
      expect(await escalateDue(app.rt)).toBe(0);
      const theirs = await fallbackApi(`/reviews?campaign=${escalated.id}&limit=500`);
      expect(theirs.body.items).toHaveLength(n);
      expect(theirs.body.banner).toMatch(/^Escalated to you: .* can now be decided by you as well/);
      for (const i of theirs.body.items) expect(i.reviewer.userId).toBe(idle.userId); // added beside, not replacing
      const still = await idle.api(`/reviews?campaign=${escalated.id}&limit=500`);
      expect(still.body.counts.open).toBe(n);
      // Either may decide; each sees the other's decision.
      const one = theirs.body.items[0];
      expect((await post('/reviews/decide', { itemIds: [one.id], decision: 'approve' }, fallbackApi)).body.decided).toBe(1);
      expect((await idle.api(`/reviews/${one.id}`)).body.item.decision).toBe('approve');
      expect((await idle.api(`/reviews/${one.id}`)).body.item.decidedBy.userId).toBe(fallbackId);
      // Paged two at a time over both states (one query per state and per way the item is
      // theirs, merged): every item once, in the grouping's order, the filters as in one read.
      for (const [who, api] of [['fallback', fallbackApi], ['reviewer', idle.api]] as const) {
        for (const groupBy of ['person', 'resource'] as const) {
          for (const recommendation of [undefined, 'approve', 'revoke'] as const) {
            const filter = `campaign=${escalated.id}&status=all&groupBy=${groupBy}${recommendation ? `&recommendation=${recommendation}` : ''}`;
            const whole = (await api(`/reviews?${filter}&limit=500`)).body.items as any[];
            expect(whole.length, `${who} ${filter}`).toBe(theirs.body.items.filter((i: any) => !recommendation || i.recommendation.decision === recommendation).length);
            const key = (i: any) => (groupBy === 'resource' ? [i.access.resourceName, i.id] : ['', i.id]);
            const sorted = [...whole].sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0; });
            expect(whole.map((i) => i.id)).toEqual(sorted.map((i) => i.id));
            const paged: string[] = [];
            let cursor: string | null = null;
            do {
              const p: { items: { id: string }[]; nextCursor: string | null } = (await api(`/reviews?${filter}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
              paged.push(...p.items.map((i) => i.id));
              cursor = p.nextCursor;
            } while (cursor);
            expect(paged, `${who} ${filter}`).toEqual(whole.map((i) => i.id));
          }
        }
      }
      const audit = (await auditOf('campaign.escalated')).filter((e) => e.targetId === escalated.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.message).toContain('Escalation (add) to fallback@example.test');
      expect(audit[0]!.message).toContain('idle@example.test');
    });

    it('a reviewer lists the campaigns they have items in, with their own progress only; campaigns stay staff-only', async () => {
      const list = await decider.api('/reviews/campaigns');
      expect(list.status, list.text).toBe(200);
      const ids = (list.body.campaigns as { id: string }[]).map((c) => c.id);
      expect(ids.sort()).toEqual([always.id, onRevoke.id].sort());
      const r = (list.body.campaigns as any[]).find((c) => c.id === onRevoke.id);
      expect(r).toMatchObject({ name: 'Justify revocations', status: 'running', stage: 1, stages: 1, deadline: onRevoke.deadline });
      expect(r.progress).toEqual({ open: 0, decided: onRevoke.totals.items, closed: 0, total: onRevoke.totals.items });
      const a = (list.body.campaigns as any[]).find((c) => c.id === always.id);
      expect(a.progress.open).toBe(always.totals.items);
      // The open work comes first.
      expect(list.body.campaigns[0].id).toBe(always.id);
      // Escalated items count for the person they were escalated to.
      const fb = (await fallbackApi('/reviews/campaigns')).body.campaigns as any[];
      expect(fb.find((c) => c.id === escalated.id)?.progress).toEqual({ open: escalated.totals.items - 1, decided: 1, closed: 0, total: escalated.totals.items });
      // A bulk over a filter by the person items were escalated to (their own items and the
      // escalated ones are read by separate statements): the open ones, each once, the decided one kept.
      const bulk = await post('/reviews/decide', { filter: { campaign: escalated.id }, decision: 'approve' }, fallbackApi);
      expect(bulk.body).toEqual({ decided: escalated.totals.items - 1, keptDecided: 1 });
      expect((await idle.api(`/reviews?campaign=${escalated.id}&status=all&limit=1`)).body.counts).toEqual({ open: 0, decided: escalated.totals.items, total: escalated.totals.items });
      expect((await decider.api('/campaigns')).status).toBe(403);
      expect((await decider.api(`/campaigns/${onRevoke.id}`)).status).toBe(403);
    });

    it('two stages: the second sees the first\'s decisions; a decision changes until its stage closes', async () => {
      const s1 = await reviewer('stage-one');
      const silent = await reviewer('stage-one-silent');
      const s2 = await reviewer('stage-two');
      const c = await started({
        name: 'Two stages', durationDays: 5, noResponse: 'keep', reviewers: { mode: 'named', userIds: [s1.userId, silent.userId], fallbackUserId: fallbackId },
        secondStage: { mode: 'named', userIds: [s2.userId] }, escalation: { afterDays: 1, to: 'fallback', mode: 'add' },
      });
      expect((await campaign(c.id)).stages).toBe(2);
      const first = (await s1.api(`/reviews?campaign=${c.id}&limit=500`)).body.items as any[];
      const silents = (await silent.api(`/reviews?campaign=${c.id}&limit=500`)).body.items as any[];
      expect(first.length).toBeGreaterThan(2);
      expect(silents.length).toBeGreaterThan(0);
      expect(first.length + silents.length).toBe(c.totals.items);
      expect((await s2.api(`/reviews?campaign=${c.id}`)).body.items).toHaveLength(0);
      const [x, y, z] = first;
      expect((await post('/reviews/decide', { itemIds: [x.id], decision: 'revoke', justification: 'First look: not needed' }, s1.api)).body.decided).toBe(1);
      expect((await post('/reviews/decide', { itemIds: [y.id], decision: 'approve' }, s1.api)).body.decided).toBe(1);
      expect((await post('/reviews/decide', { itemIds: [y.id], decision: 'revoke', justification: 'Changed my mind' }, s1.api)).body.decided).toBe(1);
      // An escalation in stage 1 (the reviewer who decided nothing) belongs to stage 1 only.
      advance(DAY + 60_000);
      expect(await escalateDue(app.rt)).toBe(1);
      expect((await fallbackApi(`/reviews?campaign=${c.id}&limit=500`)).body.items).toHaveLength(silents.length);

      // Stage 1's deadline passes: the scheduler's close moves the campaign to stage 2.
      advance(5 * DAY);
      await closeDue(app.rt);
      const mid = await campaign(c.id);
      expect(mid).toMatchObject({ status: 'running', stage: 2 });
      expect(Date.parse(mid.deadline)).toBe(clock + 5 * DAY);
      const stageAudit = (await auditOf('campaign.stage_closed')).filter((e) => e.targetId === c.id);
      expect(stageAudit).toHaveLength(1);
      expect(stageAudit[0]!.message).toContain('2 decision(s)');
      // Stage 1 is closed for its reviewer and for the stage-1 escalation.
      expect((await s1.api(`/reviews/${x.id}`)).status).toBe(404);
      expect((await post('/reviews/decide', { itemIds: [x.id], decision: 'approve' }, s1.api)).status).toBe(404);
      expect((await fallbackApi(`/reviews?campaign=${c.id}`)).body.items).toHaveLength(0);
      const second = (await s2.api(`/reviews?campaign=${c.id}&limit=500`)).body.items as any[];
      expect(second).toHaveLength(c.totals.items);
      const byId = new Map(second.map((i) => [i.id, i]));
      expect(byId.get(x.id)).toMatchObject({ stage: 2, decision: null, firstStageDecision: { decision: 'revoke', by: { userId: s1.userId }, justification: 'First look: not needed' } });
      expect(byId.get(y.id).firstStageDecision).toMatchObject({ decision: 'revoke', justification: 'Changed my mind' });
      expect(byId.get(z.id).firstStageDecision).toBeNull();
      // The second stage decides, and changes its mind while the stage is open.
      expect((await post('/reviews/decide', { itemIds: [x.id], decision: 'approve' }, s2.api)).body.decided).toBe(1);
      expect((await post('/reviews/decide', { itemIds: [x.id], decision: 'revoke', justification: 'Agree with stage one' }, s2.api)).body.decided).toBe(1);
      // Reassigning in stage 2 moves the stage-2 reviewer, not the first stage's.
      const moved = await post(`/reviews/${z.id}/reassign`, { toUserId: decider.userId, note: 'Knows this app' }, s2.api);
      expect(moved.status, moved.text).toBe(200);
      const zRow = await app.rt.store.db.selectFrom('campaign_items').select(['stage1_reviewer_id', 'stage2_reviewer_id']).where('id', '=', z.id).executeTakeFirstOrThrow();
      expect(zRow).toEqual({ stage1_reviewer_id: s1.userId, stage2_reviewer_id: decider.userId });

      advance(5 * DAY + 60_000);
      await closeDue(app.rt);
      const done = await campaign(c.id);
      expect(done.status).toBe('closed');
      const items = new Map((await itemsOf(c.id)).map((i) => [i.id, i]));
      expect(items.get(x.id)).toMatchObject({ decision: 'revoke', decidedBy: { userId: s2.userId }, justification: 'Agree with stage one', firstStageDecision: { decision: 'revoke' } });
      // Stage 1 revoked y, stage 2 said nothing: the campaign's no-response default (keep) decides.
      expect(items.get(y.id)).toMatchObject({ decision: 'approve', closedReason: 'no_response' });
      expect(done.totals.revoked).toBe(1);
      expect((await post('/reviews/decide', { itemIds: [x.id], decision: 'approve' }, s2.api)).body.error.code).toBe('campaigns.stage_closed');
    });

    it('the deadline closes a campaign with its no-response default, and applies it when set to (the breaker still holds)', async () => {
      const rh = await reviewer('deadline');
      const named = { mode: 'named', userIds: [rh.userId], fallbackUserId: fallbackId };
      const auto = await started({ name: 'Auto apply', durationDays: 3, noResponse: 'revoke', applyOnClose: true, reviewers: named });
      const plain = await started({ name: 'Close only', durationDays: 3, noResponse: 'revoke', reviewers: named });
      expect((await campaign(auto.id)).applyOnClose).toBe(true);
      expect((await campaign(plain.id)).applyOnClose).toBe(false);
      await closeDue(app.rt);
      expect((await campaign(auto.id)).status).toBe('running');
      advance(3 * DAY + 60_000);
      await closeDue(app.rt);
      // Without write-back consent every revocation is a manual step: the apply ends at once.
      const a = await campaign(auto.id);
      expect(a.status).toBe('applied');
      expect(a.totals.revoked).toBe(auto.totals.items);
      expect(a.remediation.manual).toBe(auto.totals.items);
      const p = await campaign(plain.id);
      expect(p.status).toBe('closed');
      expect(p.remediation.open).toBe(plain.totals.items);
      const closedAudit = (await auditOf('campaign.apply_started')).filter((e) => e.targetId === auto.id);
      expect(closedAudit).toHaveLength(1);
      expect((await auditOf('campaign.apply_started')).filter((e) => e.targetId === plain.id)).toHaveLength(0);

      // With write-back consented, revoking every member trips the default breaker (20 %): held for an admin.
      expect((await post(`/connections/${scim}/write-back`, { enabled: true })).status).toBe(200);
      const guarded = await started({ name: 'Auto apply, guarded', durationDays: 3, noResponse: 'revoke', applyOnClose: true, reviewers: named, breaker: undefined });
      advance(3 * DAY + 60_000);
      await closeDue(app.rt);
      const g = await campaign(guarded.id);
      expect(g.status).toBe('held');
      expect(g.held.reasons.length).toBeGreaterThan(0);
      expect((await auditOf('campaign.apply_held')).filter((e) => e.targetId === guarded.id)).toHaveLength(1);
      expect((await post(`/connections/${scim}/write-back`, { enabled: false })).status).toBe(200);
    });

    it('a close interrupted after its claim (the process died) is finished by the deadline task', async () => {
      const rc = await reviewer('interrupted');
      const c = await started({ name: 'Interrupted close', noResponse: 'revoke', reviewers: { mode: 'named', userIds: [rc.userId], fallbackUserId: fallbackId } });
      // What a process that died right after claiming the close leaves: `closing`, every item still open.
      const at = new Date(clock).toISOString();
      await app.rt.store.db.updateTable('campaigns').set({ status: 'closing', closed_at: at, updated_at: at }).where('id', '=', c.id).execute();
      await closeDue(app.rt);
      expect((await campaign(c.id)).status).toBe('closing'); // a live close may still be at work
      advance(11 * 60_000);
      await closeDue(app.rt);
      const done = await campaign(c.id);
      expect(done.status).toBe('closed');
      expect(done.totals.open).toBe(0);
      expect(done.totals.revoked).toBe(c.totals.items);
      expect(done.remediation.open).toBe(c.totals.items);
      expect((await auditOf('campaign.closed')).filter((e) => e.targetId === c.id)).toHaveLength(1);
      await closeDue(app.rt);
      expect((await auditOf('campaign.closed')).filter((e) => e.targetId === c.id)).toHaveLength(1);
    });

    it('recurrence: the next occurrence starts a period after the first, once the one before has closed; N times', async () => {
      const rr = await reviewer('recurring');
      const named = { mode: 'named', userIds: [rr.userId], fallbackUserId: fallbackId };
      // A 40-day review every month: the second occurrence waits for the first to close.
      const first = await started({ name: 'Monthly access', durationDays: 40, recurrence: { every: 'monthly', times: 2 }, reviewers: named });
      const t0 = Date.parse(first.startedAt);
      expect(Date.parse(first.nextStartAt!)).toBe(addMonths(t0, 1));
      expect(await startDueOccurrences(app.rt)).toBe(0);
      clock = addMonths(t0, 1) + 1000;
      expect(await startDueOccurrences(app.rt)).toBe(0); // still running
      clock = Date.parse(first.deadline) + 1000;
      await closeDue(app.rt);
      expect((await campaign(first.id)).status).toBe('closed');
      expect(await startDueOccurrences(app.rt)).toBe(1);
      expect(await startDueOccurrences(app.rt)).toBe(0);
      const list = (await app.api('/campaigns')).body.campaigns as any[];
      const next = list.find((c) => c.name === 'Monthly access #2');
      expect(next, JSON.stringify(list.map((c) => [c.name, c.status]))).toBeTruthy();
      expect(next).toMatchObject({ status: 'running', occurrence: 2, nextStartAt: null });
      expect(next.totals.items).toBe(first.totals.items);
      expect((await campaign(first.id)).nextStartAt).toBeNull();
      expect((await rr.api('/reviews/campaigns')).body.campaigns.map((c: { name: string }) => c.name).sort()).toEqual(['Monthly access', 'Monthly access #2']);
      expect((await auditOf('campaign.recurred')).filter((e) => e.targetId === next.id)).toHaveLength(1);
      // Times reached: nothing more, however long we wait.
      advance(90 * DAY);
      await closeDue(app.rt);
      expect(await startDueOccurrences(app.rt)).toBe(0);

      // Until a date: yearly until before the next year has no next; quarterly within it has one.
      const start = clock;
      const yearly = await started({ name: 'Yearly until', recurrence: { every: 'yearly', until: new Date(start + 200 * DAY).toISOString().slice(0, 10) }, reviewers: named });
      expect(yearly.nextStartAt).toBeNull();
      const quarterly = await started({ name: 'Quarterly until', recurrence: { every: 'quarterly', until: new Date(start + 200 * DAY).toISOString().slice(0, 10) }, reviewers: named });
      expect(Date.parse(quarterly.nextStartAt!)).toBe(addMonths(start, 3));
      const halfYearly = await started({ name: 'Half-yearly', recurrence: { every: 'half_yearly' }, reviewers: named });
      expect(Date.parse(halfYearly.nextStartAt!)).toBe(addMonths(start, 6));
      // Cancelling ends the series.
      expect((await post(`/campaigns/${quarterly.id}/cancel`)).body.campaign.nextStartAt).toBeNull();
      clock = addMonths(start, 3) + 1000;
      expect(await startDueOccurrences(app.rt)).toBe(0);
    });
  });
}
