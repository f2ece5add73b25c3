import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { requireConnection, invalidInput } from '../connections/service.js';
import { syncUsersOfPolicy } from '../store/sync-repo.js';
import { selectionSchema } from './selection.js';
import { checkConnections, requirePolicy, viewPolicy } from './policies.js';
import { planCycle, addressOf } from './plan.js';
import { domainOf, knownUser, readSource } from './cycle.js';
import { syncDestination, syncSource } from './connectors.js';

/**
 * "Preview" of a policy before saving it: the same plan the next cycle would apply, without
 * applying it — users added and removed, Google accounts that would be created, and those
 * that would be scheduled for deletion (and when), and whether the mass-deletion guard would
 * hold the cycle.
 */
export const previewSchema = z.object({
  /** An existing policy to preview a change of; omit to preview a new policy. */
  policyId: z.string().min(1).optional(),
  sourceConnectionId: z.string().min(1).optional(),
  destinationConnectionId: z.string().min(1).optional(),
  selection: selectionSchema.optional(),
  deletionDelayDays: z.number().int().min(0).max(3650).nullable().optional(),
  massDeletionPercent: z.number().int().min(0).max(100).optional(),
});

export interface PolicyPreview {
  selected: number;
  current: number;
  added: { email: string; displayName: string; destinationEmail: string; createsAccount: boolean }[];
  removed: { email: string; reason: string; deleteAfter: string | null }[];
  returning: { email: string }[];
  accountsToCreate: number;
  accountsToDelete: { email: string; at: string }[];
  held: { percent: number; threshold: number } | null;
}

const SHOW = 1000;

export async function previewPolicy(rt: Runtime, tenantId: string, body: unknown): Promise<PolicyPreview> {
  let input;
  try {
    input = previewSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const base = input.policyId ? viewPolicy(await requirePolicy(rt, tenantId, input.policyId)) : null;
  const sourceId = input.sourceConnectionId ?? base?.sourceConnectionId;
  const destId = input.destinationConnectionId ?? base?.destinationConnectionId;
  if (!sourceId || !destId) throw new AppError('request.invalid', { detail: 'sourceConnectionId and destinationConnectionId are required to preview a new policy' });
  await checkConnections(rt, tenantId, sourceId, destId);
  const selection = input.selection ?? base?.selection ?? selectionSchema.parse({});
  const deletionDelayDays = input.deletionDelayDays !== undefined ? input.deletionDelayDays : (base?.deletionDelayDays ?? null);
  const massDeletionPercent = input.massDeletionPercent ?? base?.massDeletionPercent ?? 10;
  const sourceRow = await requireConnection(rt, tenantId, sourceId);
  const destRow = await requireConnection(rt, tenantId, destId);
  const read = await readSource(await syncSource(rt, tenantId, sourceRow), { selection });
  const known = base ? (await syncUsersOfPolicy(rt.store.db, tenantId, base.id)).map(knownUser) : [];
  const plan = planCycle({
    selection, destinationDomain: domainOf(destRow), deletionDelayDays, massDeletionPercent, approvedRemovals: new Set(),
    accounts: read.accounts, groupsOf: read.groupsOf, known, nowMs: rt.now(),
  });
  // Which of the new users have no Google account yet (one pass over the destination's accounts).
  const dest = await syncDestination(rt, tenantId, destRow);
  const existing = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await dest.listAccounts(cursor);
    for (const a of page.items) existing.add(a.primaryEmail.toLowerCase());
    cursor = page.next;
  } while (cursor !== null);
  const added = plan.added.map((a) => ({ email: addressOf(a.account), displayName: a.account.displayName, destinationEmail: a.destinationEmail, createsAccount: !existing.has(a.destinationEmail) }));
  const returningCreates = plan.returning.filter((r) => !existing.has(r.user.destinationEmail)).length;
  return {
    selected: plan.selectedCount,
    current: plan.activeCount,
    added: added.slice(0, SHOW),
    removed: plan.removed.slice(0, SHOW).map((r) => ({ email: r.user.email, reason: r.reason, deleteAfter: r.deleteAfter })),
    returning: plan.returning.slice(0, SHOW).map((r) => ({ email: r.user.email })),
    accountsToCreate: added.filter((a) => a.createsAccount).length + returningCreates,
    accountsToDelete: plan.removed.filter((r) => r.deleteAfter).map((r) => ({ email: r.user.destinationEmail, at: r.deleteAfter! })),
    held: plan.held,
  };
}
