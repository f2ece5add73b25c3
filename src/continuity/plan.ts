import type { SourceAccount, SourceGroup } from '../connectors/sdk/index.js';
import { decideSelection, destinationEmailFor, type ExclusionReason, type Selection } from './selection.js';

/**
 * What one policy cycle does to the policy's user list, as a pure function of the source's
 * accounts and the users already known — so the cycle applies exactly what "preview" shows.
 */
export interface KnownUser {
  readonly id: string;
  readonly sourceUserId: string;
  readonly email: string;
  readonly displayName: string;
  readonly status: string;
  readonly destinationEmail: string;
  readonly destinationCreated: boolean;
  readonly destinationDeletedAt: string | null;
  readonly deleteAfter: string | null;
}

export interface PlanInput {
  readonly selection: Selection;
  readonly destinationDomain: string;
  readonly deletionDelayDays: number | null;
  /** A cycle removing more than this share (percent) of the active users is held; 0 = never. */
  readonly massDeletionPercent: number;
  /** Source user ids an admin approved removing (a held cycle that was approved). */
  readonly approvedRemovals: ReadonlySet<string>;
  readonly accounts: readonly SourceAccount[];
  /** Memberships by account id, when the rule needs them. */
  readonly groupsOf: ReadonlyMap<string, readonly SourceGroup[]> | null;
  readonly known: readonly KnownUser[];
  readonly nowMs: number;
}

export interface PlannedRemoval {
  readonly user: KnownUser;
  readonly reason: ExclusionReason;
  /** When the Google account Syncwarden created is to be deleted; null = kept. */
  readonly deleteAfter: string | null;
}

export interface CyclePlan {
  readonly added: readonly { account: SourceAccount; destinationEmail: string }[];
  /** Users excluded earlier who are selected again (their Google account is no longer scheduled for deletion). */
  readonly returning: readonly { user: KnownUser; account: SourceAccount }[];
  /** Selected users whose address or name changed in the source (same object id). */
  readonly renamed: readonly { user: KnownUser; account: SourceAccount }[];
  readonly removed: readonly PlannedRemoval[];
  readonly selectedCount: number;
  readonly activeCount: number;
  /** Set when the removals exceed the mass-deletion threshold: nothing is removed until approved. */
  readonly held: { readonly percent: number; readonly threshold: number } | null;
}

export function planCycle(input: PlanInput): CyclePlan {
  const byId = new Map(input.accounts.map((a) => [a.id, a]));
  const known = new Map(input.known.map((u) => [u.sourceUserId, u]));
  const added: { account: SourceAccount; destinationEmail: string }[] = [];
  const returning: { user: KnownUser; account: SourceAccount }[] = [];
  const renamed: { user: KnownUser; account: SourceAccount }[] = [];
  let selectedCount = 0;
  const decisions = new Map<string, ReturnType<typeof decideSelection>>();
  for (const account of input.accounts) {
    const d = decideSelection(input.selection, account, input.groupsOf?.get(account.id) ?? null);
    decisions.set(account.id, d);
    if (!d.selected) continue;
    selectedCount += 1;
    const prior = known.get(account.id);
    if (!prior) added.push({ account, destinationEmail: destinationEmailFor(account, input.destinationDomain) });
    else if (prior.status === 'excluded') returning.push({ user: prior, account });
    else if (prior.email !== addressOf(account) || prior.displayName !== account.displayName) renamed.push({ user: prior, account });
  }
  const removed: PlannedRemoval[] = [];
  const delayMs = input.deletionDelayDays === null ? null : input.deletionDelayDays * 86_400_000;
  for (const user of input.known) {
    if (user.status === 'excluded') continue;
    const account = byId.get(user.sourceUserId);
    const d = account ? decisions.get(account.id) : undefined;
    if (d?.selected) continue;
    const reason: ExclusionReason = !account ? 'deleted_in_source' : (d?.reason ?? 'not_in_list');
    const deleteAfter = user.destinationCreated && !user.destinationDeletedAt && delayMs !== null ? new Date(input.nowMs + delayMs).toISOString() : null;
    removed.push({ user, reason, deleteAfter });
  }
  const activeCount = input.known.filter((u) => u.status !== 'excluded').length;
  const unapproved = removed.filter((r) => !input.approvedRemovals.has(r.user.sourceUserId));
  const percent = activeCount === 0 ? 0 : (unapproved.length * 100) / activeCount;
  const held = input.massDeletionPercent > 0 && unapproved.length > 0 && percent > input.massDeletionPercent ? { percent: Math.round(percent * 10) / 10, threshold: input.massDeletionPercent } : null;
  return { added, returning, renamed, removed, selectedCount, activeCount, held };
}

export function addressOf(account: SourceAccount): string {
  return (account.mail ?? account.userPrincipalName).toLowerCase();
}
