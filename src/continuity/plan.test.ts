import { describe, expect, it } from 'vitest';
import { planCycle, type KnownUser, type PlanInput } from './plan.js';
import { selectionSchema } from './selection.js';

const account = (n: number, over: Record<string, unknown> = {}) => ({
  id: `u${n}`, userPrincipalName: `user${n}@contoso.com`, mail: `user${n}@contoso.com`, displayName: `User ${n}`, givenName: 'User', surname: String(n), accountEnabled: true, ...over,
});
const known = (n: number, over: Partial<KnownUser> = {}): KnownUser => ({
  id: `su${n}`, sourceUserId: `u${n}`, email: `user${n}@contoso.com`, displayName: `User ${n}`, status: 'synced', destinationEmail: `user${n}@standby.test`,
  destinationCreated: true, destinationDeletedAt: null, deleteAfter: null, ...over,
});
const base = (over: Partial<PlanInput>): PlanInput => ({
  selection: selectionSchema.parse({}), destinationDomain: 'standby.test', deletionDelayDays: 7, massDeletionPercent: 10, approvedRemovals: new Set(),
  accounts: [], groupsOf: null, known: [], nowMs: Date.parse('2026-05-01T00:00:00Z'), ...over,
});

describe('the cycle plan', () => {
  it('adds new users, brings back returning ones, and notices renames', () => {
    const plan = planCycle(base({
      accounts: [account(1), account(2, { mail: 'renamed2@contoso.com' }), account(3)],
      known: [known(2), known(3, { status: 'excluded' })],
    }));
    expect(plan.added.map((a) => [a.account.id, a.destinationEmail])).toEqual([['u1', 'user1@standby.test']]);
    expect(plan.renamed.map((r) => r.user.id)).toEqual(['su2']);
    expect(plan.returning.map((r) => r.user.id)).toEqual(['su3']);
    expect(plan.held).toBeNull();
  });

  it('removes users gone, disabled or no longer selected, scheduling deletion only of accounts Syncwarden created', () => {
    const accounts = Array.from({ length: 20 }, (_, i) => account(i));
    accounts[5] = account(5, { accountEnabled: false });
    const plan = planCycle(base({
      accounts: accounts.filter((a) => a.id !== 'u7'),
      known: Array.from({ length: 20 }, (_, i) => known(i, i === 5 ? { destinationCreated: false } : {})),
      massDeletionPercent: 20,
    }));
    expect(plan.removed.map((r) => [r.user.id, r.reason, r.deleteAfter])).toEqual([
      ['su5', 'disabled_in_source', null],
      ['su7', 'deleted_in_source', '2026-05-08T00:00:00.000Z'],
    ]);
    expect(plan.held).toBeNull();
    expect(planCycle(base({ accounts: accounts.filter((a) => a.id !== 'u7'), known: [known(7)], deletionDelayDays: null })).removed[0]!.deleteAfter).toBeNull();
  });

  it('holds a cycle that removes more than the threshold, unless the removals were approved', () => {
    const known10 = Array.from({ length: 10 }, (_, i) => known(i));
    const input = base({ accounts: Array.from({ length: 8 }, (_, i) => account(i)), known: known10 });
    expect(planCycle(input).held).toEqual({ percent: 20, threshold: 10 });
    expect(planCycle({ ...input, approvedRemovals: new Set(['u8', 'u9']) }).held).toBeNull();
    // Exactly the threshold is not more than it.
    expect(planCycle({ ...input, approvedRemovals: new Set(['u8']) }).held).toBeNull();
    expect(planCycle({ ...input, massDeletionPercent: 0 }).held).toBeNull();
  });
});
