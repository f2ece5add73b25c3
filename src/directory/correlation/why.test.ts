import { describe, expect, it } from 'vitest';
import { allRules, compareAccounts, type WhyAccount } from './why.js';
import { DEFAULT_RULES } from './rules.js';

const entra: WhyAccount = { label: 'the Entra ID account ann@x.test', userName: 'ann@x.test', email: 'ann@x.test', employeeId: 'E1' };
const google: WhyAccount = { label: 'the Google Workspace account ann@y.test', userName: 'ann@y.test', email: 'ann@y.test', employeeId: null };

describe('compareAccounts', () => {
  it('says why two accounts of one person did not link', () => {
    expect(compareAccounts(entra, google, DEFAULT_RULES).map((v) => [v.rule, v.matched, v.detail])).toEqual([
      ['email', false, 'emails differ: ann@x.test vs ann@y.test'],
      ['user_name', false, "user names differ: ann@x.test vs ann@y.test, and neither is the other's email"],
      ['employee_id', false, 'employee id missing on the Google Workspace account ann@y.test'],
    ]);
  });

  it('names a rule that is off but would have linked them', () => {
    const upn = { ...google, userName: 'ann@x.test', email: 'ann.lee@y.test' };
    const rules = [{ attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: false }] as const;
    const v = compareAccounts(entra, upn, rules);
    expect(v.find((x) => x.rule === 'user_name')).toMatchObject({ enabled: false, matched: false, value: 'ann@x.test', detail: 'the user-name rule is turned off (it would link them on ann@x.test)' });
    // employee_id is not in the stored rules: it counts as off.
    expect(v.find((x) => x.rule === 'employee_id')!.detail).toBe('employee id missing on the Google Workspace account ann@y.test (and the employee-id rule is turned off)');
  });

  it('reports the shared value when a rule links them', () => {
    expect(compareAccounts(entra, { ...google, email: 'ANN@x.test ' }, DEFAULT_RULES)[0]).toMatchObject({ matched: true, value: 'ann@x.test', detail: 'both have the email ann@x.test' });
    expect(compareAccounts({ ...entra, email: null }, { ...google, email: null, employeeId: 'E2' }, DEFAULT_RULES).map((v) => v.detail)).toEqual([
      'neither account has an email',
      "user names differ: ann@x.test vs ann@y.test, and neither is the other's email",
      'employee ids differ: E1 vs E2',
    ]);
  });

  it('allRules appends missing attributes as off', () => {
    expect(allRules([{ attribute: 'employee_id', enabled: true }])).toEqual([
      { attribute: 'employee_id', enabled: true }, { attribute: 'email', enabled: false }, { attribute: 'user_name', enabled: false },
    ]);
  });
});
