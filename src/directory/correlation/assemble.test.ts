import { describe, expect, it } from 'vitest';
import { assembleIdentities, describe as describeGroup, type CorrelationAccount } from './assemble.js';
import { linkAccounts } from './link.js';
import { DEFAULT_RULES } from './rules.js';

const base = { accountType: 'user', enabled: true, employeeId: null, identityId: null, firstSeenAt: '2026-01-01T00:00:00.000Z' };
const acc = (over: Partial<CorrelationAccount> & Pick<CorrelationAccount, 'connectionId' | 'externalId' | 'userName'>): CorrelationAccount => ({ ...base, email: null, displayName: over.userName, ...over });

let seq = 0;
const fresh = () => `idn_new${++seq}`;

describe('assembleIdentities', () => {
  it('keeps the oldest existing id of a merged group; a split part takes a new id', () => {
    const a = acc({ connectionId: 'entra', externalId: '1', userName: 'a@x.test', email: 'a@x.test', identityId: 'idn_old' });
    const b = acc({ connectionId: 'google', externalId: 'g', userName: 'a@x.test', email: 'a@x.test', identityId: 'idn_older' });
    const existing = new Map([['idn_old', '2026-02-01'], ['idn_older', '2026-01-01']]);
    const merged = assembleIdentities([a, b], linkAccounts([a, b], DEFAULT_RULES), existing, fresh);
    expect(merged.identities.map((i) => i.id)).toEqual(['idn_older']);
    expect(merged.assignments.map((x) => x.identityId)).toEqual(['idn_older', 'idn_older']);

    // The Google account's email changes: the group splits. The part with more accounts of the old identity keeps it.
    const c = acc({ connectionId: 'scim', externalId: 's', userName: 'a@x.test', email: 'a@x.test', identityId: 'idn_older' });
    const a2 = { ...a, identityId: 'idn_older' };
    const b2 = { ...b, email: 'a.other@x.test', userName: 'a.other@x.test' };
    const split = assembleIdentities([a2, b2, c], linkAccounts([a2, b2, c], DEFAULT_RULES), new Map([['idn_older', '2026-01-01']]), fresh);
    expect(split.assignments.map((x) => x.identityId)).toEqual(['idn_older', expect.stringMatching(/^idn_new/), 'idn_older']);
    expect(split.identities.find((i) => i.id !== 'idn_older')!.isNew).toBe(true);
    expect(split.assignments[1]!.match).toBeNull();
  });

  it('ids of identities that no longer exist are not reused', () => {
    const a = acc({ connectionId: 'entra', externalId: '1', userName: 'a', identityId: 'idn_deleted' });
    const r = assembleIdentities([a], linkAccounts([a], DEFAULT_RULES), new Map(), fresh);
    expect(r.identities[0]!.id).toMatch(/^idn_new/);
  });

  it('describes the person from the best account: enabled member first; guest-only groups are guests', () => {
    const disabled = acc({ connectionId: 'a', externalId: '1', userName: 'd@x.test', displayName: 'Old Name', enabled: false, email: 'd@x.test', firstSeenAt: '2020-01-01' });
    const live = acc({ connectionId: 'b', externalId: '2', userName: 'd@x.test', displayName: 'Dana Diaz', employeeId: 'E7' });
    const d = describeGroup([disabled, live]);
    expect(d).toMatchObject({ displayName: 'Dana Diaz', email: 'd@x.test', employeeId: 'E7', identityType: 'person', status: 'active', accounts: 2, connectionIds: ['a', 'b'] });
    expect(d.search).toContain('old name');
    expect(describeGroup([{ ...disabled, accountType: 'guest' }])).toMatchObject({ identityType: 'guest', status: 'disabled' });
    expect(describeGroup([{ ...live, accountType: 'service', email: null, userName: 'svc-backup' }])).toMatchObject({ identityType: 'service', email: null });
  });
});
