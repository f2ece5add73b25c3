import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { AppError } from '../../errors/index.js';
import { findUserByEmail } from '../../auth/users.js';
import { table } from '../table.js';
import { decide, listReviews, reviewsQuery, type Reviewer } from '../../campaigns/reviews.js';
import type { ReviewItemView } from '../../campaigns/views.js';

const T = DEFAULT_TENANT;

/**
 * `syncwarden reviews list|decide`: one's own review items. Remotely the token's user is the
 * reviewer; locally (the data folder) `--as <email>` names the reviewer.
 */
export function registerReviewCommands(program: Command, cli: CliContext): void {
  const r = program.command('reviews').description('my access reviews: list, decide');
  async function localReviewer(rt: Parameters<Parameters<CliContext['withRuntime']>[0]>[0]['rt'], as: string | undefined): Promise<Reviewer> {
    if (!as) throw new AppError('request.invalid', { detail: 'locally, name the reviewer with --as <email> (remotely the API token\'s user is the reviewer)' });
    const u = await findUserByEmail(rt, as);
    if (!u) throw new AppError('request.not_found', { entity: 'user', id: as });
    return { userId: u.id, actor: `user:${u.email}`, admin: false };
  }
  r.command('list').description('my review items (open by default)')
    .option('--as <email>', 'the reviewer (local use)').option('--campaign <id>', 'one campaign').option('--status <s>', 'open | decided | all', 'open')
    .option('--q <text>', 'search person or resource').option('--kind <kind>', 'kind of access').option('--recommendation <r>', 'approve | revoke').option('--limit <n>', 'rows', '50').option('--json', 'JSON output')
    .action(async (o: { as?: string; campaign?: string; status: string; q?: string; kind?: string; recommendation?: string; limit: string; json?: boolean }) => {
      const params = Object.fromEntries(Object.entries({ campaign: o.campaign, status: o.status, q: o.q, kind: o.kind, recommendation: o.recommendation, limit: o.limit }).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const res = cli.remote
        ? await cli.callApi<{ items: ReviewItemView[]; counts: { open: number; decided: number; total: number }; banner: string | null }>('GET', `/reviews?${new URLSearchParams(params).toString()}`)
        : await cli.withRuntime(async ({ rt }) => listReviews(rt, T, await localReviewer(rt, o.as), reviewsQuery.parse(params)));
      if (o.json) return cli.out(JSON.stringify(res, null, 2));
      if (res.banner) cli.out(res.banner);
      cli.out(table(['item', 'person', 'access', 'via', 'recommendation', 'decision'], res.items.map((i) => [i.id, i.identity.displayName, `${i.access.resourceName} (${i.account.connectionName})`, i.access.via === 'group' ? i.access.chain.join(' > ') : 'direct', `${i.recommendation.decision}: ${i.recommendation.reasons.join(' ')}`, i.decision ?? ''])));
      cli.out(`${res.counts.open} open, ${res.counts.decided} decided`);
    });
  r.command('decide [itemIds...]').description('approve, revoke or accept the recommendation on items (by id, or every open item of --campaign)')
    .requiredOption('--decision <d>', 'approve | revoke | recommendation').option('--justification <text>', 'why (required on revoke, or always, per campaign)')
    .option('--campaign <id>', 'every matching open item of this campaign').option('--q <text>', 'with --campaign: only items matching').option('--include-decided', 'with --campaign, or with recommendation: change items already decided too (by default they keep their decision)')
    .option('--as <email>', 'the reviewer (local use)').option('--json', 'JSON output')
    .action(async (ids: string[], o: { decision: string; justification?: string; campaign?: string; q?: string; includeDecided?: boolean; as?: string; json?: boolean }) => {
      if (ids.length === 0 && !o.campaign) throw new AppError('request.invalid', { detail: 'give item ids, or --campaign for every open item of a campaign' });
      const body = { ...(ids.length ? { itemIds: ids } : { filter: { campaign: o.campaign, ...(o.q ? { q: o.q } : {}) } }), decision: o.decision, ...(o.justification ? { justification: o.justification } : {}), ...(o.includeDecided ? { includeDecided: true } : {}) };
      const res = cli.remote ? await cli.callApi<{ decided: number; keptDecided: number }>('POST', '/reviews/decide', body) : await cli.withRuntime(async ({ rt }) => decide(rt, T, await localReviewer(rt, o.as), body, false));
      if (o.json) return cli.out(JSON.stringify(res));
      cli.out(`Decided ${res.decided} item(s).${res.keptDecided > 0 ? ` ${res.keptDecided} already decided kept their decision (--include-decided to change them too).` : ''}`);
    });
}
