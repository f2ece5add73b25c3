import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { remoteConnectionId as remoteConnection } from '../remote-connection.js';
import type { Runtime } from '../../runtime/context.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { AppError } from '../../errors/index.js';
import { resolveConnection } from '../resolve.js';
import { findUserByEmail } from '../../auth/users.js';
import { table } from '../table.js';
import { previewCampaign } from '../../campaigns/snapshot.js';
import { campaignDetail, createCampaign, listCampaigns, startCampaign } from '../../campaigns/lifecycle.js';
import { closeCampaign } from '../../campaigns/close.js';
import { applyCampaign, applyPreview, approveApply } from '../../campaigns/apply.js';
import { campaignReport, campaignReportCsv } from '../../campaigns/report.js';
import type { CampaignView } from '../../campaigns/views.js';

const T = DEFAULT_TENANT;
const LOCAL_ACTOR = 'admin';

/** The same answer locally (the data folder) and remotely (SYNCWARDEN_URL + token): the API's shapes. */
export function campaignSummary(c: CampaignView): string[] {
  const pct = c.totals.items ? Math.round((100 * c.totals.decided) / c.totals.items) : 0;
  return [c.id, c.name, c.status, c.stages === 2 ? `${c.stage}/2` : '1', `${c.totals.decided}/${c.totals.items} (${pct}%)`, c.deadline?.slice(0, 10) ?? '', `${c.remediation.success} ok, ${c.remediation.error} errors, ${c.remediation.manual} manual`];
}

const HEAD = ['id', 'name', 'status', 'stage', 'decided', 'deadline', 'remediation'];

/**
 * `syncwarden campaigns create|list|show|start|close|apply|report`: certification campaigns by
 * id or name, tables by default and `--json`, locally on the data folder or remotely through
 * the API (SYNCWARDEN_URL + SYNCWARDEN_TOKEN).
 */
export function registerCampaignCommands(program: Command, cli: CliContext): void {
  const c = program.command('campaigns').description('certification campaigns: create, list, show, start, close, apply, report');
  const enc = encodeURIComponent;

  const remoteConnectionId = (key: string): Promise<string> => remoteConnection(cli, key);

  async function remoteUserId(email: string): Promise<string> {
    const { people } = await cli.callApi<{ people: { userId: string; email: string }[] }>('GET', '/reviews/reviewers');
    const hit = people.find((p) => p.email === email.toLowerCase() || p.userId === email);
    if (!hit) throw new AppError('request.not_found', { entity: 'user', id: email });
    return hit.userId;
  }
  async function localUserId(rt: Runtime, email: string): Promise<string> {
    const u = await findUserByEmail(rt, email);
    if (!u) throw new AppError('request.not_found', { entity: 'user', id: email });
    return u.id;
  }

  c.command('create')
    .description('create a campaign (draft) from --file (the API\'s CampaignInput as JSON) or from options; --preview only counts')
    .option('--file <path>', 'CampaignInput JSON (connection ids or names, reviewer ids or emails)')
    .option('--name <name>', 'campaign name')
    .option('--connection <id|name...>', 'directory connections')
    .option('--kind <kind...>', 'kinds of access: group_membership, directory_role, app_role, aws_group_membership, aws_policy, aws_access_key, google_admin_role, scim_group_membership')
    .option('--reviewers <mode>', 'manager | owner | named', 'manager')
    .option('--reviewer <email...>', 'named reviewers')
    .option('--fallback <email>', 'fallback reviewer (required)')
    .option('--days <n>', 'duration in days', '14')
    .option('--on-no-response <what>', 'keep | revoke | recommendation', 'keep')
    .option('--justification <when>', 'on_revoke | always', 'on_revoke')
    .option('--apply-on-close', 'apply the revocations when the deadline closes the campaign (the circuit breaker still holds a large apply)')
    .option('--preview', 'show the counts only (creates nothing)')
    .option('--json', 'JSON output')
    .action(async (o: { file?: string; name?: string; connection?: string[]; kind?: string[]; reviewers: string; reviewer?: string[]; fallback?: string; days: string; onNoResponse: string; justification: string; applyOnClose?: boolean; preview?: boolean; json?: boolean }) => {
      const base = o.file ? readCampaignFile(o.file) : {};
      const resolve = async (conn: (k: string) => Promise<string>, user: (e: string) => Promise<string>) => {
        const reviewers = (base['reviewers'] as { mode: string; userIds?: string[]; fallbackUserId?: string } | undefined) ?? { mode: o.reviewers, ...(o.reviewer ? { userIds: o.reviewer } : {}), fallbackUserId: o.fallback ?? '' };
        if (!reviewers.fallbackUserId) throw new AppError('request.invalid', { detail: 'a fallback reviewer is required (--fallback <email>)' });
        return {
          durationDays: Number(o.days), noResponse: o.onNoResponse, justification: o.justification,
          ...base,
          ...(o.applyOnClose ? { applyOnClose: true } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.kind ? { kinds: o.kind } : {}),
          connectionIds: await Promise.all(((base['connectionIds'] as string[] | undefined) ?? o.connection ?? []).map(conn)),
          reviewers: { ...reviewers, fallbackUserId: await user(reviewers.fallbackUserId), ...(reviewers.userIds ? { userIds: await Promise.all(reviewers.userIds.map(user)) } : {}) },
        };
      };
      const print = (r: unknown) => {
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        if (o.preview) {
          const p = r as Awaited<ReturnType<typeof previewCampaign>>;
          cli.out(`${p.items} item(s); ${p.fallback} to the fallback reviewer; ${p.unassigned} without a reviewer`);
          cli.out(table(['reviewer', 'items'], p.reviewers.map((x) => [x.reviewer.email, x.items])));
          for (const u of p.fallbackSample) cli.out(`fallback: ${u.account} — ${u.access} (${u.why})`);
          for (const u of p.unassignedSample) cli.out(`no reviewer: ${u.account} — ${u.access} (${u.why})`);
          return;
        }
        const camp = (r as { campaign: CampaignView }).campaign;
        cli.out(`Created campaign ${camp.name} (${camp.id}), draft. Start it with: syncwarden campaigns start ${camp.id}`);
      };
      if (cli.remote) {
        const input = await resolve(remoteConnectionId, remoteUserId);
        return print(o.preview ? await cli.callApi('POST', '/campaigns/preview', input) : await cli.callApi('POST', '/campaigns', input));
      }
      await cli.withRuntime(async ({ rt }) => {
        const input = await resolve((k) => resolveConnection(rt, T, k), (e) => (e.includes('@') ? localUserId(rt, e) : Promise.resolve(e)));
        print(o.preview ? await previewCampaign(rt, T, input) : { campaign: await createCampaign(rt, T, input, { userId: null, actor: LOCAL_ACTOR }) });
      });
    });

  c.command('list').description('campaigns with status, progress and deadline').option('--status <status>', 'only this status').option('--json', 'JSON output')
    .action(async (o: { status?: string; json?: boolean }) => {
      const r = cli.remote ? await cli.callApi<{ campaigns: CampaignView[] }>('GET', `/campaigns${o.status ? `?status=${enc(o.status)}` : ''}`) : await cli.withRuntime(({ rt }) => listCampaigns(rt, T, o.status));
      if (o.json) return cli.out(JSON.stringify(r, null, 2));
      cli.out(table(HEAD, r.campaigns.map(campaignSummary)));
    });

  c.command('show <idOrName>').description('one campaign with progress per reviewer').option('--json', 'JSON output')
    .action(async (key: string, o: { json?: boolean }) => {
      const r = cli.remote ? await cli.callApi<Awaited<ReturnType<typeof campaignDetail>>>('GET', `/campaigns/${enc(key)}`) : await cli.withRuntime(({ rt }) => campaignDetail(rt, T, key));
      if (o.json) return cli.out(JSON.stringify(r, null, 2));
      cli.out(table(HEAD, [campaignSummary(r.campaign)]));
      cli.out(table(['reviewer', 'total', 'decided', 'open'], r.reviewers.map((x) => [x.reviewer.email || x.reviewer.displayName, x.total, x.decided, x.open])));
      if (r.campaign.held) for (const h of r.campaign.held.reasons) cli.out(`held: ${h.resource} on ${h.connectionName}: ${h.reason}`);
    });

  const act = (name: string, description: string, local: (rt: Runtime, key: string, o: Record<string, unknown>) => Promise<{ campaign: CampaignView }>, remote: (key: string, o: Record<string, unknown>) => Promise<{ campaign: CampaignView }>, extra: (cmd: Command) => Command = (x) => x) => {
    extra(c.command(`${name} <idOrName>`).description(description).option('--json', 'JSON output'))
      .action(async (key: string, o: Record<string, unknown>) => {
        const r = cli.remote ? await remote(key, o) : await cli.withRuntime(({ rt }) => local(rt, key, o));
        if (o['json']) return cli.out(JSON.stringify(r, null, 2));
        cli.out(table(HEAD, [campaignSummary(r.campaign)]));
      });
  };
  act('start', 'take the snapshot and open the reviews', async (rt, key) => ({ campaign: await startCampaign(rt, T, key, LOCAL_ACTOR) }), (key) => cli.callApi('POST', `/campaigns/${enc(key)}/start`));
  act('close', 'end the current stage now (the no-response default applies); --apply applies at once', async (rt, key, o) => ({ campaign: await closeCampaign(rt, T, key, { apply: Boolean(o['apply']) }, LOCAL_ACTOR) }),
    (key, o) => cli.callApi('POST', `/campaigns/${enc(key)}/close`, { apply: Boolean(o['apply']) }), (x) => x.option('--apply', 'apply the revocations right after closing'));

  c.command('apply <idOrName>').description('apply the revocations (or hold them: circuit breaker); --preview lists them; --approve <note> approves a held apply')
    .option('--preview', 'list every revocation per connection and resource, written back or manual').option('--approve <note>', 'approve an apply the circuit breaker held').option('--json', 'JSON output')
    .action(async (key: string, o: { preview?: boolean; approve?: string; json?: boolean }) => {
      if (o.preview) {
        const p = cli.remote ? await cli.callApi<Awaited<ReturnType<typeof applyPreview>>>('GET', `/campaigns/${enc(key)}/apply-preview`) : await cli.withRuntime(({ rt }) => applyPreview(rt, T, key));
        if (o.json) return cli.out(JSON.stringify(p, null, 2));
        cli.out(`${p.total} revocation(s): ${p.writeBack} written back, ${p.manual} manual`);
        cli.out(table(['connection', 'resource', 'kind', 'revoking', 'how'], p.byConnection.flatMap((b) => b.resources.map((r) => [b.connectionName, r.resourceName, r.kind, r.revoking, r.writeBack ? 'write-back' : `manual: ${r.manualReason}`]))));
        if (p.wouldHold) for (const h of p.wouldHold.reasons) cli.out(`would hold: ${h.resource} on ${h.connectionName}: ${h.reason}`);
        return;
      }
      const r = cli.remote
        ? await cli.callApi<{ campaign: CampaignView }>('POST', o.approve ? `/campaigns/${enc(key)}/approve-apply` : `/campaigns/${enc(key)}/apply`, o.approve ? { note: o.approve } : {})
        : await cli.withRuntime(async ({ rt }) => ({ campaign: o.approve ? await approveApply(rt, T, key, o.approve, { userId: '', actor: LOCAL_ACTOR }) : await applyCampaign(rt, T, key, LOCAL_ACTOR) }));
      if (o.json) return cli.out(JSON.stringify(r, null, 2));
      cli.out(table(HEAD, [campaignSummary(r.campaign)]));
      if (r.campaign.held) for (const h of r.campaign.held.reasons) cli.out(`held: ${h.resource} on ${h.connectionName}: ${h.reason} — approve with: syncwarden campaigns apply ${r.campaign.id} --approve "<why>"`);
    });

  c.command('report <idOrName>').description('every item: reviewer, decision, time, justification, recommendation, remediation, verification (CSV with --csv)')
    .option('--csv', 'CSV').option('--json', 'JSON output')
    .action(async (key: string, o: { csv?: boolean; json?: boolean }) => {
      if (o.csv) {
        const csv = cli.remote ? await cli.callApi<string>('GET', `/campaigns/${enc(key)}/report.csv`) : (await cli.withRuntime(({ rt }) => campaignReportCsv(rt, T, key))).csv;
        return cli.out(String(csv).trimEnd());
      }
      const r = cli.remote ? await cli.callApi<Awaited<ReturnType<typeof campaignReport>>>('GET', `/campaigns/${enc(key)}/report`) : await cli.withRuntime(({ rt }) => campaignReport(rt, T, key));
      if (o.json) return cli.out(JSON.stringify(r, null, 2));
      cli.out(table(HEAD, [campaignSummary(r.campaign)]));
      cli.out(table(['person', 'access', 'reviewer', 'decision', 'justification', 'remediation', 'verification'], r.items.map((i) => [i.identity.displayName, `${i.access.resourceName} (${i.account.connectionName})`, i.reviewer?.email ?? '', i.decision ?? '', i.justification ?? '', i.remediation, i.verification ?? ''])));
    });
}

/** The --file of `campaigns create`: a missing or malformed file is the admin's to fix, named as such. */
function readCampaignFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AppError('request.invalid', { detail: `cannot read --file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}` });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new AppError('request.invalid', { detail: `--file ${path} is not a JSON object (the API's CampaignInput)` });
}
