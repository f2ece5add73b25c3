import type { UserRecord } from './directory-model.js';

/**
 * The `query` of users.list: space-separated clauses (implicit AND), each `field:value`
 * (contains), `field:prefix*` (starts with), `field=value` (exact) or a bare word (matches
 * givenName, familyName or email). Values may be quoted with single quotes.
 * https://developers.google.com/admin-sdk/directory/v1/guides/search-users
 */
export interface QueryFacts {
  isAdmin(u: UserRecord): boolean;
  isDelegatedAdmin(u: UserRecord): boolean;
}

export type UserPredicate = (u: UserRecord) => boolean;

const STRING_FIELDS: Readonly<Record<string, (u: UserRecord) => string[]>> = {
  email: (u) => [u.primaryEmail, ...u.aliases],
  givenname: (u) => [u.givenName],
  familyname: (u) => [u.familyName],
  name: (u) => [`${u.givenName} ${u.familyName}`],
  externalid: (u) => u.externalIds.map((e) => e.value),
  orgunitpath: (u) => [u.orgUnitPath],
  orgtitle: (u) => u.organizations.map((o) => o.title ?? ''),
  orgdepartment: (u) => u.organizations.map((o) => o.department ?? ''),
};

/** The predicate, or null when the query does not parse (Google answers 400 Invalid Input). */
export function parseUserQuery(query: string, facts: QueryFacts): UserPredicate | null {
  const clauses = query.match(/(?:[^\s']+|'[^']*')+/g) ?? [];
  const preds: UserPredicate[] = [];
  for (const raw of clauses) {
    const m = /^([A-Za-z]+)([:=])(.*)$/.exec(raw);
    if (!m) {
      const word = unquote(raw).toLowerCase();
      preds.push((u) => [u.givenName, u.familyName, u.primaryEmail].some((v) => v.toLowerCase().startsWith(word)));
      continue;
    }
    const field = m[1]!.toLowerCase();
    const op = m[2]!;
    const value = unquote(m[3]!);
    const bool = booleanField(field, facts);
    if (bool) {
      if (op !== '=' || !/^(true|false)$/i.test(value)) return null;
      const want = value.toLowerCase() === 'true';
      preds.push((u) => bool(u) === want);
      continue;
    }
    const get = STRING_FIELDS[field];
    if (!get) return null;
    const v = value.toLowerCase();
    if (op === '=') preds.push((u) => get(u).some((x) => x.toLowerCase() === v));
    else if (v.endsWith('*')) preds.push((u) => get(u).some((x) => x.toLowerCase().startsWith(v.slice(0, -1))));
    else preds.push((u) => get(u).some((x) => x.toLowerCase().includes(v)));
  }
  return (u) => preds.every((p) => p(u));
}

function booleanField(field: string, facts: QueryFacts): ((u: UserRecord) => boolean) | undefined {
  switch (field) {
    case 'issuspended':
      return (u) => u.suspended;
    case 'isarchived':
      return (u) => u.archived;
    case 'isadmin':
      return facts.isAdmin;
    case 'isdelegatedadmin':
      return facts.isDelegatedAdmin;
    case 'isenrolledin2sv':
      return (u) => u.isEnrolledIn2Sv;
    default:
      return undefined;
  }
}

function unquote(s: string): string {
  return s.startsWith("'") && s.endsWith("'") && s.length >= 2 ? s.slice(1, -1) : s;
}
