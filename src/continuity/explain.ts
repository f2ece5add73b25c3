import type { Runtime } from '../runtime/context.js';
import { formatUtc } from '../model/time.js';
import { parseStoredError, renderStored, renderError, toAppError, type RenderedError } from '../errors/index.js';
import { getPolicy } from '../store/policies-repo.js';
import { getConnection, type ConnectionRow } from '../store/connections-repo.js';
import { countItemsInState } from '../store/sync-repo.js';
import { viewPolicy } from './policies.js';
import { decideSelection, needsGroups } from './selection.js';
import { syncDestination, syncSource } from './connectors.js';
import { requireSyncUser } from './views.js';
import { STATUS_LABELS, isSyncStatus } from './status.js';

/**
 * "Why isn't this user syncing?" — one user, step by step, checked live where it can be:
 * policy → selection rule (against the source's current account and groups) → destination
 * account → connections → status and last error → schedule. The first step that fails is
 * the answer; each step says what to do.
 */
export type StepStatus = 'pass' | 'fail' | 'warning' | 'info';

export interface ExplainStep {
  readonly step: 'policy' | 'selection' | 'destination' | 'connections' | 'status' | 'schedule';
  readonly title: string;
  readonly status: StepStatus;
  readonly detail: string;
  readonly error: RenderedError | null;
}

export interface Explanation {
  readonly user: { id: string; email: string; destinationEmail: string; status: string };
  readonly verdict: string;
  readonly steps: readonly ExplainStep[];
}

export async function explainUser(rt: Runtime, tenantId: string, key: string): Promise<Explanation> {
  const u = await requireSyncUser(rt, tenantId, key);
  const steps: ExplainStep[] = [];
  const policyRow = await getPolicy(rt.store.db, tenantId, u.policy_id);
  const policy = policyRow ? viewPolicy(policyRow) : null;

  // 1. The policy.
  if (!policy) steps.push({ step: 'policy', title: 'Policy', status: 'fail', detail: 'The user\'s policy no longer exists.', error: null });
  else if (!policy.enabled) steps.push({ step: 'policy', title: `Policy "${policy.name}"`, status: 'fail', detail: 'The policy is disabled, so its users are not synced.', error: renderError('sync.policy_disabled', { policy: policy.name }) });
  else if (policy.heldCycle) steps.push({ step: 'policy', title: `Policy "${policy.name}"`, status: 'warning', detail: `A cycle is held for approval: it would remove ${policy.heldCycle.removals.length} users. Users keep syncing meanwhile.`, error: renderError('sync.mass_removal_held', { count: policy.heldCycle.removals.length, total: policy.heldCycle.activeCount, percent: policy.heldCycle.percent, policy: policy.name, threshold: policy.heldCycle.threshold }) });
  else steps.push({ step: 'policy', title: `Policy "${policy.name}"`, status: 'pass', detail: `Enabled; cycles every ${policy.scheduleMinutes} minutes.`, error: null });

  const sourceRow = policy ? await getConnection(rt.store.db, tenantId, policy.sourceConnectionId) : undefined;
  const destRow = policy ? await getConnection(rt.store.db, tenantId, policy.destinationConnectionId) : undefined;

  // 2. The selection rule, against the source as it is now.
  if (policy && sourceRow) {
    try {
      const source = await syncSource(rt, tenantId, sourceRow);
      const account = await source.getAccount(u.source_user_id);
      if (!account) {
        steps.push({ step: 'selection', title: 'Policy match', status: 'fail', detail: `${u.email} no longer exists in the source (deleted, or renamed to an address the rule does not select).`, error: renderError('sync.user_not_found_in_source', { email: u.email }) });
      } else {
        const groups = needsGroups(policy.selection) ? await source.memberOf(account.id) : null;
        const d = decideSelection(policy.selection, account, groups);
        const detail = d.steps.map((x) => `${x.outcome === 'pass' ? '✓' : x.outcome === 'fail' ? '✗' : '–'} ${x.detail}`).join(' ');
        steps.push({ step: 'selection', title: 'Policy match', status: d.selected ? 'pass' : 'fail', detail: d.selected ? `Selected. ${detail}` : `Not selected: the next cycle excludes the user. ${detail}`, error: null });
      }
    } catch (e) {
      const err = toAppError(e);
      steps.push({ step: 'selection', title: 'Policy match', status: 'fail', detail: 'The source could not be asked about this user.', error: renderError(err.code, err.params) });
    }
  }

  // 3. The destination account.
  if (policy && destRow) {
    try {
      const dest = await syncDestination(rt, tenantId, destRow);
      const account = await dest.getAccount(u.destination_email);
      if (!account) {
        const detail = u.destination_deleted_at
          ? `The Google account was deleted on ${u.destination_deleted_at} after the user left the policy.`
          : u.status === 'excluded'
            ? 'There is no Google account, and none will be created while the user is excluded.'
            : 'There is no Google account yet; the next run creates it.';
        steps.push({ step: 'destination', title: `Google account ${u.destination_email}`, status: u.status === 'excluded' ? 'info' : 'warning', detail, error: null });
      } else if (account.suspended) {
        steps.push({ step: 'destination', title: `Google account ${u.destination_email}`, status: 'fail', detail: 'The Google account is suspended; Gmail refuses imports into it. Restore it in the Admin console (Directory > Users).', error: null });
      } else {
        const ready = u.destination_ready_at ? 'its mailbox accepts imports' : 'waiting for its mailbox to accept imports (new accounts take a little while)';
        const owner = Number(u.destination_created) === 1 ? 'created by Syncwarden' : 'already existed';
        const deletion = u.delete_after && !u.destination_deleted_at ? ` Scheduled for deletion on ${u.delete_after}.` : '';
        steps.push({ step: 'destination', title: `Google account ${u.destination_email}`, status: u.destination_ready_at ? 'pass' : 'warning', detail: `Exists (${owner}); ${ready}.${deletion}`, error: null });
      }
    } catch (e) {
      const err = toAppError(e);
      steps.push({ step: 'destination', title: `Google account ${u.destination_email}`, status: 'fail', detail: 'The destination could not be asked about this account.', error: renderError(err.code, err.params) });
    }
  }

  // 4. The connections.
  for (const [side, row] of [['Source', sourceRow], ['Destination', destRow]] as const) {
    if (!row) continue;
    steps.push(connectionStep(side, row));
  }

  // 5. Status and last error.
  const label = isSyncStatus(u.status) ? STATUS_LABELS[u.status] : u.status;
  const lastError = renderStored(parseStoredError(u.last_error_json));
  const failedItems = await countItemsInState(rt.store.db, tenantId, u.id, ['failed']);
  const statusDetail = (() => {
    switch (u.status) {
      case 'synced':
        return failedItems ? `${failedItems} item(s) could not sync and are listed in the items view; they do not affect the user's status.` : 'Every item in the window is in Google; changes follow at each cycle.';
      case 'throttled':
        return `Throttled by ${u.throttled_by ?? 'the destination'}: Syncwarden paces requests to the provider's quota and resumes at ${formatUtc(u.next_sync_at, 'the next cycle')}.`;
      case 'quarantined':
        return `Quarantined after ${u.consecutive_failures} failed cycles in a row: retried less often (next attempt ${formatUtc(u.next_sync_at, 'soon')}). Fix the error, then use Retry now.`;
      case 'blocked':
        return 'Blocked by a connection: every user behind it waits until the connection tests healthy again.';
      case 'failed':
        return `The last run failed (${u.consecutive_failures} in a row); the next cycle tries again.`;
      case 'excluded':
        return `Excluded from the policy${u.exclusion_reason ? ` (${u.exclusion_reason.replace(/_/g, ' ')})` : ''}${u.excluded_at ? ` on ${formatUtc(u.excluded_at)}` : ''}.`;
      case 'pending':
        return lastError ? 'Waiting to start.' : 'Waiting for its first run.';
      default:
        return u.status === 'initial_sync' ? 'Copying the mail of the initial window, newest first.' : '';
    }
  })();
  const bad = ['failed', 'quarantined', 'blocked', 'excluded'].includes(u.status);
  steps.push({ step: 'status', title: `Status: ${label}`, status: bad ? 'fail' : u.status === 'throttled' || u.status === 'pending' ? 'warning' : 'pass', detail: statusDetail, error: lastError });

  // 6. Schedule.
  steps.push({
    step: 'schedule',
    title: 'Schedule',
    status: 'info',
    detail: `Last successful sync: ${formatUtc(u.last_sync_at)}. Next sync: ${u.status === 'excluded' ? 'none' : formatUtc(u.next_sync_at, 'at the next cycle')}.`,
    error: null,
  });

  const first = steps.find((s) => s.status === 'fail') ?? steps.find((s) => s.status === 'warning');
  const verdict = first ? `${first.title}: ${first.error?.title ?? first.detail}` : 'Nothing stops this user from syncing.';
  return { user: { id: u.id, email: u.email, destinationEmail: u.destination_email, status: u.status }, verdict, steps };
}

function connectionStep(side: 'Source' | 'Destination', row: ConnectionRow): ExplainStep {
  const error = renderStored(parseStoredError(row.last_error_json));
  switch (row.status) {
    case 'active':
      return { step: 'connections', title: `${side} connection "${row.name}"`, status: 'pass', detail: `Active${row.last_tested_at ? `; last tested ${formatUtc(row.last_tested_at)}` : ''}.`, error: null };
    case 'error':
      return { step: 'connections', title: `${side} connection "${row.name}"`, status: 'fail', detail: 'In error: every user behind it is affected. Fix it, then use Test connection from its three-dot menu.', error };
    default:
      return { step: 'connections', title: `${side} connection "${row.name}"`, status: 'warning', detail: `Status ${row.status.replace('_', ' ')}: use Test connection from its three-dot menu.`, error };
  }
}
