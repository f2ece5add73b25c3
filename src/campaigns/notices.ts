import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { fromJson } from '../store/json.js';
import { sendEmail } from '../notify/email.js';
import { channelSecret } from '../notify/channels.js';
import type { EmailConfig } from '../notify/channels.js';
import { withDefaults } from './input.js';
import { addHistory, audit, type CampaignRow } from './store.js';
import { campaignInput } from './views.js';
import { loadPeople, type People, type Person } from './people.js';
import { loadDirectory, managersOf } from './assign.js';

const DAY = 86_400_000;

/** The tenant's first enabled email channel: its SMTP server sends reviewers' digests. */
async function smtpOf(rt: Runtime, tenantId: string): Promise<{ name: string; config: EmailConfig; password: string | null } | null> {
  const row = await rt.store.db.selectFrom('alert_channels').selectAll().where('tenant_id', '=', tenantId).where('type', '=', 'email').where('enabled', '=', 1).orderBy('created_at').executeTakeFirst();
  if (!row) return null;
  return { name: row.name, config: fromJson<EmailConfig>(row.config_json, {} as EmailConfig), password: channelSecret(rt, tenantId, row) };
}

async function openByReviewer(rt: Runtime, tenantId: string, campaignId: string): Promise<Map<string, number>> {
  const rows = await rt.store.db.selectFrom('campaign_items').select(['reviewer_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId).where('campaign_id', '=', campaignId).where('review_state', '=', 'pending').where('reviewer_id', 'is not', null).groupBy('reviewer_id').execute();
  return new Map(rows.map((r) => [r.reviewer_id!, Number(r.n)]));
}

/**
 * Reminder digests: at each of the campaign's reminder days before the deadline (default 7, 3,
 * 1), one email per reviewer with open items (never to one without), through the tenant's SMTP
 * channel. Compare-and-set on the list of days sent, so one process sends each round. Every
 * notice is in the item history (campaign level) and the audit log.
 */
export async function sendDueReminders(rt: Runtime, opts: { publicUrl?: string } = {}): Promise<number> {
  const db = rt.store.db;
  const nowMs = rt.now();
  const running = await db.selectFrom('campaigns').selectAll().where('status', '=', 'running').where('deadline', 'is not', null).execute();
  let sent = 0;
  for (const c of running) {
    const input = withDefaults(campaignInput(c));
    const done = fromJson<number[]>(c.reminders_sent_json, []);
    const left = Date.parse(c.deadline!) - nowMs;
    const due = input.reminderDays.filter((d) => !done.includes(d) && left <= d * DAY && left > 0);
    if (due.length === 0) continue;
    const next = JSON.stringify([...done, ...due].sort((a, b) => b - a));
    const claimed = await db.updateTable('campaigns').set({ reminders_sent_json: next }).where('tenant_id', '=', c.tenant_id).where('id', '=', c.id).where('reminders_sent_json', '=', c.reminders_sent_json).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    sent += await remind(rt, c, Math.min(...due), opts.publicUrl);
  }
  return sent;
}

async function remind(rt: Runtime, c: CampaignRow, days: number, publicUrl?: string): Promise<number> {
  const tenantId = c.tenant_id;
  const people = await loadPeople(rt, tenantId);
  const open = await openByReviewer(rt, tenantId, c.id);
  const smtp = await smtpOf(rt, tenantId);
  let n = 0;
  for (const [userId, count] of open) {
    const p = people.byId.get(userId);
    if (!p) continue;
    const subject = `[Syncwarden] ${count} access review(s) due in ${days} day(s): ${c.name}`;
    const text = [`Hello ${p.displayName},`, '', `You have ${count} open review item(s) in the certification campaign "${c.name}", due by ${c.deadline!.slice(0, 16).replace('T', ' ')} UTC.`,
      'Items without a decision at the deadline take the campaign\'s default.', '', `Open My reviews: ${publicUrl ?? ''}/certifications/reviews`, '', '— Syncwarden'].join('\n');
    let outcome = 'emailed';
    if (smtp) {
      try {
        await sendEmail(smtp.name, { ...smtp.config, to: [p.email] }, smtp.password, { subject, text, headers: { 'X-Syncwarden-Event': 'campaign.reminder' } });
      } catch (e) {
        outcome = `not emailed (${(e as Error).message.slice(0, 200)})`;
      }
    } else outcome = 'not emailed (no email alert channel is set up; shown in the app)';
    await addHistory(rt, tenantId, [{ campaignId: c.id, itemId: null, actor: 'system', action: 'reminded', detail: `Reminder to ${p.email}: ${count} open item(s), ${days} day(s) before the deadline; ${outcome}`, userId }]);
    await audit(rt, tenantId, { severity: 'info', action: 'campaign.reminded', actor: 'system', target: { type: 'campaign', id: c.id, name: c.name }, message: `Reminder digest to ${p.email}: ${count} open item(s) of "${c.name}", ${days} day(s) before the deadline; ${outcome}` });
    n++;
  }
  return n;
}

/**
 * Escalation: N days into a stage, the items of reviewers who have decided nothing yet go to
 * the reviewer's manager (or the fallback) — added beside the reviewer or replacing them.
 * Compare-and-set on `escalated_at` (once per stage).
 */
export async function escalateDue(rt: Runtime): Promise<number> {
  const db = rt.store.db;
  const nowMs = rt.now();
  const running = await db.selectFrom('campaigns').selectAll().where('status', '=', 'running').where('escalated_at', 'is', null).execute();
  let n = 0;
  for (const c of running) {
    const input = withDefaults(campaignInput(c));
    if (!input.escalation || !c.stage_started_at) continue;
    if (Date.parse(c.stage_started_at) + input.escalation.afterDays * DAY > nowMs) continue;
    const now = nowIso(nowMs);
    const claimed = await db.updateTable('campaigns').set({ escalated_at: now }).where('tenant_id', '=', c.tenant_id).where('id', '=', c.id).where('escalated_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    n += await escalate(rt, c, input.escalation, input.reviewers.fallbackUserId);
  }
  return n;
}

async function escalate(rt: Runtime, c: CampaignRow, esc: { to: 'manager' | 'fallback'; mode: 'add' | 'replace'; afterDays: number }, fallbackUserId: string): Promise<number> {
  const tenantId = c.tenant_id;
  const db = rt.store.db;
  const people: People = await loadPeople(rt, tenantId);
  const rows = await db.selectFrom('campaign_items').select(['reviewer_id', 'review_state']).where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('reviewer_id', 'is not', null).where('review_state', 'in', ['pending', 'decided']).execute();
  const decidedSome = new Set(rows.filter((r) => r.review_state === 'decided').map((r) => r.reviewer_id!));
  const silent = [...new Set(rows.filter((r) => r.review_state === 'pending').map((r) => r.reviewer_id!))].filter((id) => !decidedSome.has(id));
  if (silent.length === 0) return 0;
  const dir = esc.to === 'manager' ? await loadDirectory(rt, tenantId, (await db.selectFrom('connections').select('id').where('tenant_id', '=', tenantId).where('role', '=', 'directory').execute()).map((x) => x.id)) : null;
  let n = 0;
  for (const reviewerId of silent) {
    const reviewer = people.byId.get(reviewerId);
    let target: Person | undefined;
    if (dir && reviewer) {
      // The reviewer's manager: the reviewer's own directory account (by email) and its manager attribute.
      for (const [connectionId, accounts] of dir.accountsByConnection) {
        for (const [accountId, a] of accounts) {
          if (!a.emails.includes(reviewer.email.toLowerCase())) continue;
          target = managersOf(dir, people, connectionId, accountId, a.managerId).find((m) => m.userId !== reviewerId);
          if (target) break;
        }
        if (target) break;
      }
    }
    target ??= people.byId.get(fallbackUserId);
    if (!target || target.userId === reviewerId) continue;
    const now = nowIso(rt.now());
    const q = db.updateTable('campaign_items').where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('reviewer_id', '=', reviewerId).where('review_state', '=', 'pending');
    const r = esc.mode === 'replace'
      ? await q.set({ reviewer_id: target.userId, updated_at: now }).executeTakeFirst()
      : await q.set({ escalated_to: target.userId, updated_at: now }).executeTakeFirst();
    const count = Number(r.numUpdatedRows);
    const detail = `${count} item(s) of "${c.name}" that ${reviewer?.email ?? reviewerId} left undecided for ${esc.afterDays} day(s)${esc.mode === 'replace' ? ' are now yours' : ' can now be decided by you as well'}.`;
    await addHistory(rt, tenantId, [{ campaignId: c.id, itemId: null, actor: 'system', action: 'escalated', detail, userId: target.userId }]);
    await audit(rt, tenantId, { severity: 'warning', action: 'campaign.escalated', actor: 'system', target: { type: 'campaign', id: c.id, name: c.name }, message: `Escalation (${esc.mode}) to ${target.email}: ${detail}` });
    n++;
  }
  return n;
}
