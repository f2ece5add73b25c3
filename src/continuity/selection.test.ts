import { describe, expect, it } from 'vitest';
import { decideSelection, destinationEmailFor, needsGroups, selectionSchema, selects } from './selection.js';

const ada = {
  id: '1', userPrincipalName: 'Ada.Lovelace@contoso.com', mail: 'ada@contoso.com', displayName: 'Ada', givenName: 'Ada', surname: 'Lovelace', accountEnabled: true,
  attributes: { department: 'Research', jobTitle: 'Analyst', country: 'UK', officeLocation: null, companyName: null, city: null, employeeType: null, usageLocation: null },
};
const groups = [{ id: 'g-eng', displayName: 'Engineering' }, { id: 'g-all', displayName: 'All staff' }];

describe('selection rules', () => {
  it('all users minus exclusions, case-insensitively; an old stored rule still parses', () => {
    expect(selects(selectionSchema.parse({}), ada)).toBe(true);
    expect(selects(selectionSchema.parse({ mode: 'all', include: [], exclude: [] }), ada)).toBe(true);
    expect(selects(selectionSchema.parse({ exclude: ['ADA.LOVELACE@contoso.com'] }), ada)).toBe(false);
    expect(selects(selectionSchema.parse({ exclude: ['ada@contoso.com'] }), ada)).toBe(false);
  });

  it('a list selects only its members', () => {
    expect(selects(selectionSchema.parse({ mode: 'list', include: ['ada@contoso.com'] }), ada)).toBe(true);
    expect(selects(selectionSchema.parse({ mode: 'list', include: ['bob@contoso.com'] }), ada)).toBe(false);
  });

  it('never selects a disabled account, and says why', () => {
    const d = decideSelection(selectionSchema.parse({}), { ...ada, accountEnabled: false }, null);
    expect(d).toMatchObject({ selected: false, reason: 'disabled_in_source' });
    expect(d.steps[0]!.outcome).toBe('fail');
  });

  it('rules: members of any listed group (by name or id) whose attributes match every condition', () => {
    const rule = selectionSchema.parse({ mode: 'rules', groups: ['engineering', 'g-ops'], attributes: [{ attribute: 'department', value: 'research' }, { attribute: 'country', operator: 'startsWith', value: 'U' }] });
    expect(needsGroups(rule)).toBe(true);
    expect(selects(rule, ada, groups)).toBe(true);
    expect(decideSelection(rule, ada, [{ id: 'g-x', displayName: 'Sales' }]).reason).toBe('not_in_groups');
    expect(decideSelection(rule, { ...ada, attributes: { ...ada.attributes, department: 'Sales' } }, groups).reason).toBe('attribute_mismatch');
    const byId = selectionSchema.parse({ mode: 'rules', groups: ['G-ENG'] });
    expect(selects(byId, ada, groups)).toBe(true);
    // No groups listed: attributes alone decide.
    const attrsOnly = selectionSchema.parse({ mode: 'rules', attributes: [{ attribute: 'jobTitle', operator: 'contains', value: 'anal' }] });
    expect(needsGroups(attrsOnly)).toBe(false);
    expect(selects(attrsOnly, ada, null)).toBe(true);
    expect(selects(selectionSchema.parse({ mode: 'rules', attributes: [{ attribute: 'department', operator: 'notEquals', value: 'Research' }] }), ada, null)).toBe(false);
  });

  it('the include list adds to rules; excluded groups and addresses win over everything', () => {
    const rule = selectionSchema.parse({ mode: 'rules', groups: ['Sales'], include: ['ada@contoso.com'] });
    expect(decideSelection(rule, ada, groups)).toMatchObject({ selected: true, reason: null });
    const excluded = selectionSchema.parse({ mode: 'all', include: ['ada@contoso.com'], excludeGroups: ['All staff'] });
    expect(needsGroups(excluded)).toBe(true);
    expect(decideSelection(excluded, ada, groups).reason).toBe('excluded_by_group');
  });

  it('maps the address onto the destination domain', () => {
    expect(destinationEmailFor(ada, 'Standby.example')).toBe('ada@standby.example');
    expect(destinationEmailFor({ ...ada, mail: null }, 'x.test')).toBe('ada.lovelace@x.test');
  });
});
