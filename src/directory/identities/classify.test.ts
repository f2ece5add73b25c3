import { describe, expect, it } from 'vitest';
import { classifyAccount } from './classify.js';

const base = { accountType: 'user', displayName: 'x', givenName: null, familyName: null } as const;

describe('account kind from provider evidence', () => {
  it('an Entra user with no mailbox, no employee id and no personal name is a service account; a svc- name adds to it', () => {
    const c = classifyAccount({ ...base, userName: 'svc-backup@fabrikam.test', email: null, employeeId: null, displayName: 'Backup Service' });
    expect(c.type).toBe('service');
    expect(c.evidence).toEqual(['no mailbox', 'no employee id', 'no personal name', 'a service-style name (svc-backup)']);
  });

  it('a svc- name is weak evidence: with a mailbox and an employee id the account stays a person\'s', () => {
    expect(classifyAccount({ ...base, userName: 'svc-ann@x.test', email: 'svc-ann@x.test', employeeId: 'E1', givenName: 'Ann' }).type).toBe('user');
    expect(classifyAccount({ ...base, userName: 'sa-scanner@x.test', email: 'sa-scanner@x.test', employeeId: null }).type).toBe('service');
  });

  it('a person without mailbox or employee id but with a name stays a person; Google and application-only sign-ins are services', () => {
    expect(classifyAccount({ ...base, userName: 'ann@x.test', email: null, employeeId: null, givenName: 'Ann', familyName: 'Lee' }).type).toBe('user');
    expect(classifyAccount({ ...base, userName: 'ann@x.test', email: 'ann@x.test', employeeId: null, givenName: 'Ann' }).type).toBe('user');
    expect(classifyAccount({ ...base, userName: 'deploy@proj.iam.gserviceaccount.com', email: 'deploy@proj.iam.gserviceaccount.com', employeeId: null }).evidence).toEqual(['a Google Cloud service account']);
    expect(classifyAccount({ ...base, userName: 'app@x.test', email: null, employeeId: null, attributes: { applicationOnly: true } }).type).toBe('service');
  });

  it('what the connector read stands: guests, AWS service users, and IAM users without an address', () => {
    expect(classifyAccount({ ...base, accountType: 'guest', userName: 'g@y.test', email: null, employeeId: null }).type).toBe('guest');
    expect(classifyAccount({ ...base, accountType: 'service', userName: 'ci-deployer', email: null, employeeId: null }).type).toBe('service');
    expect(classifyAccount({ ...base, userName: 'alan.clarke', email: null, employeeId: null }).type).toBe('user');
  });
});
