import { describe, expect, it } from 'vitest';
import { compileFilter, FilterSemanticError, type Json } from './evaluate.js';
import { FilterSyntaxError, parseFilter, parsePatchPath, type Filter } from './filter.js';
import { URN } from './urns.js';

/** Prints an AST compactly so precedence is visible: and/or/not as s-expressions. */
function show(f: Filter): string {
  switch (f.kind) {
    case 'and':
    case 'or':
      return `(${f.kind} ${show(f.left)} ${show(f.right)})`;
    case 'not':
      return `(not ${show(f.filter)})`;
    case 'present':
      return `${path(f.path)} pr`;
    case 'compare':
      return `${path(f.path)} ${f.op} ${JSON.stringify(f.value)}`;
    case 'valuePath':
      return `${path(f.path)}[${show(f.filter)}]`;
  }
}
const path = (p: { urn?: string; attr: string; sub?: string }): string => `${p.urn ? `${p.urn}:` : ''}${p.attr}${p.sub ? `.${p.sub}` : ''}`;

describe('parseFilter', () => {
  it.each([
    ['userName eq "bjensen"', 'userName eq "bjensen"'],
    ['name.familyName co "O\'Malley"', 'name.familyName co "O\'Malley"'],
    ['userName sw "J"', 'userName sw "J"'],
    ['title pr', 'title pr'],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', 'meta.lastModified ge "2011-05-13T04:42:34Z"'],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', 'meta.lastModified lt "2011-05-13T04:42:34Z"'],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', 'meta.lastModified le "2011-05-13T04:42:34Z"'],
    ['title pr and userType eq "Employee"', '(and title pr userType eq "Employee")'],
    ['title pr or userType eq "Intern"', '(or title pr userType eq "Intern")'],
    ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', '(and userType eq "Employee" (or emails co "example.com" emails.value co "example.org"))'],
    ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', '(and userType ne "Employee" (not (or emails co "example.com" emails.value co "example.org")))'],
    ['userType eq "Employee" and (emails.type eq "work")', '(and userType eq "Employee" emails.type eq "work")'],
    ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', '(and userType eq "Employee" emails[(and type eq "work" value co "@example.com")])'],
    ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', '(or emails[(and type eq "work" value co "@example.com")] ims[(and type eq "xmpp" value co "@foo.com")])'],
    // Precedence: not > and > or.
    ['a eq 1 or b eq 2 and c eq 3', '(or a eq 1 (and b eq 2 c eq 3))'],
    ['a eq 1 and b eq 2 or c eq 3', '(or (and a eq 1 b eq 2) c eq 3)'],
    ['not a pr and b pr', '(and (not a pr) b pr)'],
    ['not (a pr and b pr)', '(not (and a pr b pr))'],
    ['(a eq 1 or b eq 2) and c eq 3', '(and (or a eq 1 b eq 2) c eq 3)'],
    // Case-insensitive operators and keywords; JSON-typed values.
    ['userName EQ "x" AND active Eq TRUE Or nickName eq null', '(or (and userName eq "x" active eq true) nickName eq null)'],
    ['x eq 42', 'x eq 42'],
    ['x gt -1.5e3', 'x gt -1500'],
    ['x eq false', 'x eq false'],
    ['displayName eq "a \\"quoted\\" \\u00e9 name"', 'displayName eq "a \\"quoted\\" é name"'],
    // URN-qualified attributes.
    [`${URN.enterprise}:employeeNumber eq "42"`, `${URN.enterprise}:employeeNumber eq "42"`],
    [`${URN.enterprise}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, `${URN.enterprise}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`],
    [`${URN.user}:userName sw "a"`, `${URN.user}:userName sw "a"`],
    // Entra ID's matching query: a sub-attribute comparison after the value filter.
    ['emails[type eq "work"].value eq "a@b.test"', 'emails[(and type eq "work" value eq "a@b.test")]'],
  ])('%s', (text, expected) => {
    expect(show(parseFilter(text))).toBe(expected);
  });

  it.each([
    [''],
    ['userName'],
    ['userName eq'],
    ['userName xx "a"'],
    ['userName eq bjensen'],
    ['userName eq "unterminated'],
    ['(userName eq "a"'],
    ['userName eq "a")'],
    ['emails[type eq "work"'],
    ['emails[type eq "work"]]'],
    ['emails[name.x eq "a"]'],
    ['emails[types[a eq "b"] pr]'],
    ['a eq "1" and'],
    ['and eq "1"'],
    ['a.b.c eq "1"'],
    ['a eq "1" b eq "2"'],
  ])('rejects %j', (text) => {
    expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
  });
});

describe('parsePatchPath', () => {
  it('parses attribute, sub-attribute, URN and value-filter paths', () => {
    expect(parsePatchPath('members')).toEqual({ path: { attr: 'members' } });
    expect(parsePatchPath('name.familyName')).toEqual({ path: { attr: 'name', sub: 'familyName' } });
    expect(parsePatchPath(`${URN.enterprise}:manager`)).toEqual({ path: { urn: URN.enterprise, attr: 'manager' } });
    const p = parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]');
    expect(p.path).toEqual({ attr: 'members' });
    expect(show(p.filter!)).toBe('value eq "2819c223-7f76-453a-919d-413861904646"');
    const q = parsePatchPath('emails[type eq "work" and primary eq true].value');
    expect(q.sub).toBe('value');
    expect(show(q.filter!)).toBe('(and type eq "work" primary eq true)');
    // A "]" inside a quoted value does not close the filter.
    expect(show(parsePatchPath('members[display eq "a]b"]').filter!)).toBe('display eq "a]b"');
  });

  it.each(['members[value eq "x"', 'members[]', 'members[value eq "x"]x', 'name.givenName[value eq "x"]', 'members[value eq "x"].', '', 'a.b.c'])('rejects %j', (text) => {
    expect(() => parsePatchPath(text)).toThrow(FilterSyntaxError);
  });
});

describe('compileFilter', () => {
  const user: Json = {
    id: 'u1',
    userName: 'Bjensen@Example.com',
    name: { familyName: "O'Malley", givenName: 'Barbara' },
    title: 'Tour Guide',
    userType: 'Employee',
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    [URN.enterprise]: { employeeNumber: '701984', manager: { value: 'm1' } },
    meta: { created: '2011-08-01T18:29:49.793Z', lastModified: '2011-08-01T21:32:44.882Z', version: 'W/"3694e05e9dff591"' },
  };
  const matches = (text: string): boolean => compileFilter('User', parseFilter(text))(user);

  it.each([
    ['userName eq "bjensen@example.com"', true], // case-insensitive (caseExact false)
    ['USERNAME Eq "BJENSEN@EXAMPLE.COM"', true],
    ['id eq "U1"', false], // id is caseExact
    ['id eq "u1"', true],
    ['userName ne "someone"', true],
    ['userName ne "bjensen@example.com"', false],
    ['name.familyName co "malley"', true],
    ['userName sw "bjen"', true],
    ['userName ew "EXAMPLE.COM"', true],
    ['title pr', true],
    ['nickName pr', false],
    ['nickName eq null', true],
    ['title ne null', true],
    ['nickName ne "x"', true],
    ['active eq true', true],
    ['active eq "True"', true],
    ['active ne true', false],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified ge "2011-08-01T21:32:44.882Z"', true],
    ['meta.lastModified lt "2011-08-01T21:32:44.882Z"', false],
    ['meta.lastModified le "2011-08-01T21:32:44.882Z"', true],
    ['userName gt "a"', true],
    ['userName lt "a"', false],
    ['emails co "jensen.org"', true],
    ['emails.value ew ".org"', true],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "home" and value co "@example.com"]', false],
    ['emails[type eq "work"].value eq "bjensen@example.com"', true],
    ['emails[not (type eq "work")]', true],
    ['emails[primary eq true and type eq "home"]', false],
    [`${URN.enterprise}:employeeNumber eq "701984"`, true],
    ['employeeNumber eq "701984"', true], // unqualified extension attribute
    [`${URN.enterprise}:manager.value eq "m1"`, true],
    [`${URN.user}:userName sw "B"`, true],
    ['userType eq "Employee" and (title eq "x" or active eq true)', true],
    ['userType eq "Employee" and title eq "x" or active eq true', true],
    ['userType eq "Intern" and (title eq "x" or active eq true)', false],
    ['not (userType eq "Employee")', false],
    ['not userType eq "Intern"', true],
  ])('%s → %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it.each([
    'unknownAttr eq "x"',
    'name eq "x"', // a complex attribute as a whole
    'active gt true', // ordering on a boolean
    'active co "t"',
    'name.unknown eq "x"',
    'title[value eq "x"]', // [ ] on a single-valued attribute
    'urn:example:unknown:2.0:User:x eq "1"',
  ])('rejects %j', (text) => {
    expect(() => compileFilter('User', parseFilter(text))).toThrow(FilterSemanticError);
  });

  it('groups: members[value eq …] and displayName', () => {
    const group: Json = { id: 'g1', displayName: 'Tour Guides', members: [{ value: 'u1', type: 'User' }, { value: 'g2', type: 'Group' }] };
    const test = (t: string): boolean => compileFilter('Group', parseFilter(t))(group);
    expect(test('members[value eq "u1"]')).toBe(true);
    expect(test('members[type eq "Group"]')).toBe(true);
    expect(test('members.value eq "u3"')).toBe(false);
    expect(test('displayName eq "tour guides"')).toBe(true);
  });
});
