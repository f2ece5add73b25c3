import { describe, expect, it } from 'vitest';
import { linkAccounts, type LinkAccount } from './link.js';
import { DEFAULT_RULES, type CorrelationRule } from './rules.js';

const acc = (connectionId: string, externalId: string, userName: string, email: string | null, employeeId: string | null = null): LinkAccount => ({ connectionId, externalId, userName, email, employeeId });
const groupsOf = (accounts: LinkAccount[], rules: readonly CorrelationRule[] = DEFAULT_RULES) =>
  linkAccounts(accounts, rules).groups.map((g) => g.map((i) => `${accounts[i]!.connectionId}:${accounts[i]!.externalId}`).sort()).sort();

describe('linkAccounts', () => {
  it('links accounts of different connections by email, case and spaces ignored', () => {
    const accounts = [acc('entra', '1', 'alice@x.test', 'Alice@X.test'), acc('google', 'g1', 'alice@x.test', ' alice@x.test '), acc('aws', 'alice', 'alice', null)];
    expect(groupsOf(accounts, [{ attribute: 'email', enabled: true }])).toEqual([['aws:alice'], ['entra:1', 'google:g1']]);
    const r = linkAccounts(accounts, DEFAULT_RULES);
    expect(r.matches).toEqual([{ rule: 'email', value: 'alice@x.test' }, { rule: 'email', value: 'alice@x.test' }, null]);
  });

  it('user name matches another account\'s user name or email; email-only matches are the email rule\'s', () => {
    const upn = acc('entra', '1', 'bob@x.test', 'robert@x.test');
    const google = acc('google', 'g', 'robert.b@x.test', 'bob@x.test'); // primary email = the UPN
    const scim = acc('scim', 's', 'other', 'robert@x.test'); // shares only the email with the Entra account
    const rules: CorrelationRule[] = [{ attribute: 'email', enabled: false }, { attribute: 'user_name', enabled: true }];
    expect(groupsOf([upn, google, scim], rules)).toEqual([['entra:1', 'google:g'], ['scim:s']]);
    const r = linkAccounts([upn, google, scim], rules);
    expect(r.matches[0]).toEqual({ rule: 'user_name', value: 'bob@x.test' });
    expect(r.matches[1]).toEqual({ rule: 'user_name', value: 'bob@x.test' });
    expect(r.matches[2]).toBeNull();
  });

  it('employee ids match exactly and transitively join groups', () => {
    const a = acc('entra', '1', 'carol@x.test', 'carol@x.test', 'E100');
    const b = acc('scim', 's', 'c.jones@y.test', 'c.jones@y.test', 'E100');
    const c = acc('google', 'g', 'c.jones@y.test', 'c.jones@y.test');
    const d = acc('hr', 'h', 'e100', null, 'e100'); // different case: not the same employee id
    expect(groupsOf([a, b, c, d])).toEqual([['entra:1', 'google:g', 'scim:s'], ['hr:h']]);
    const m = linkAccounts([a, b, c, d], DEFAULT_RULES).matches;
    expect(m[0]).toEqual({ rule: 'employee_id', value: 'E100' }); // its email matches nobody: employee id linked it
    expect(m[1]).toEqual({ rule: 'email', value: 'c.jones@y.test' }); // email comes first in precedence
  });

  it('disabled rules link nothing; empty keys never match', () => {
    const accounts = [acc('a', '1', 'x', 'same@x.test', 'E1'), acc('b', '2', 'y', 'same@x.test', 'E1'), acc('c', '3', '', null, ''), acc('d', '4', '', '', null)];
    expect(groupsOf(accounts, [])).toEqual([['a:1'], ['b:2'], ['c:3'], ['d:4']]);
    expect(groupsOf(accounts, [{ attribute: 'employee_id', enabled: true }])).toEqual([['a:1', 'b:2'], ['c:3'], ['d:4']]);
  });

  it('links 100,000 accounts into 50,000 persons (timed by `npm run bench -- correlation`)', () => {
    const accounts: LinkAccount[] = [];
    for (let i = 0; i < 50_000; i++) {
      accounts.push(acc('entra', `e${i}`, `user${i}@x.test`, `user${i}@x.test`, `E${i}`));
      accounts.push(acc('google', `g${i}`, `u${i}@google.test`, `user${i}@x.test`));
    }
    const r = linkAccounts(accounts, DEFAULT_RULES);
    expect(r.groups).toHaveLength(50_000);
    expect(r.groups.every((g) => g.length === 2)).toBe(true);
  });
});
