/**
 * The directory query options Graph serves on /users and /groups lists, and Graph's 400s for
 * the rest — never data that ignores what was asked (issue 10, finding 9: `accountEnabled eq
 * false` once returned every user).
 *
 * - `$filter`: clauses joined by `and`, each `prop eq 'text'`, `prop eq true|false`, or
 *   `startswith(prop,'text')`, on the properties Graph filters without advanced queries
 *   (users: id, userPrincipalName, mail, displayName, givenName, surname, accountEnabled,
 *   userType, jobTitle, department, employeeId; groups: id, displayName, mail, mailEnabled,
 *   securityEnabled). Anything else answers 400 Request_UnsupportedQuery, as Graph answers a
 *   filter it cannot serve. https://learn.microsoft.com/graph/filter-query-parameter
 * - `$search`: only with `ConsistencyLevel: eventual` (else 400, Graph's own message), and
 *   one `"property:text"` term (tokens starting with the text). https://learn.microsoft.com/graph/search-query-parameter
 * - `$orderby`: not served by the sandbox; 400 "Sorting not supported for current query."
 *   https://learn.microsoft.com/graph/aad-advanced-queries
 */
export type Kind = 'user' | 'group';
type Row = Readonly<Record<string, unknown>>;
export type Keep = (row: Row) => boolean;

export interface QueryError {
  readonly code: string;
  readonly message: string;
}

const FILTERABLE: Record<Kind, readonly string[]> = {
  user: ['id', 'userPrincipalName', 'mail', 'displayName', 'givenName', 'surname', 'accountEnabled', 'userType', 'jobTitle', 'department', 'employeeId'],
  group: ['id', 'displayName', 'mail', 'mailEnabled', 'securityEnabled'],
};
const SEARCHABLE: Record<Kind, readonly string[]> = {
  user: ['displayName', 'mail', 'userPrincipalName', 'givenName', 'surname'],
  group: ['displayName', 'mail', 'description'],
};
const RESOURCE: Record<Kind, string> = { user: 'User', group: 'Group' };

/** Graph compares property names case-insensitively; the canonical name, or undefined. */
function prop(kind: Kind, name: string, list: Record<Kind, readonly string[]>): string | undefined {
  return list[kind].find((p) => p.toLowerCase() === name.toLowerCase());
}

function unsupported(kind: Kind, name: string): QueryError {
  return { code: 'Request_UnsupportedQuery', message: `Unsupported or invalid query filter clause specified for property '${name}' of resource '${RESOURCE[kind]}'.` };
}

/** `$filter` → a predicate, or Graph's 400. */
export function parseFilter(kind: Kind, filter: string): Keep | QueryError {
  const preds: Keep[] = [];
  for (const raw of filter.split(/\s+and\s+/i)) {
    const clause = raw.trim();
    let m = /^(\w+)\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause);
    if (m) {
      const p = prop(kind, m[1]!, FILTERABLE);
      if (!p) return unsupported(kind, m[1]!);
      const v = m[2]!.replace(/''/g, "'").toLowerCase();
      preds.push((r) => typeof r[p] === 'string' && (r[p] as string).toLowerCase() === v);
      continue;
    }
    m = /^(\w+)\s+eq\s+(true|false)$/i.exec(clause);
    if (m) {
      const p = prop(kind, m[1]!, FILTERABLE);
      if (!p) return unsupported(kind, m[1]!);
      const v = m[2]!.toLowerCase() === 'true';
      preds.push((r) => r[p] === v);
      continue;
    }
    m = /^startswith\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)$/i.exec(clause);
    if (m) {
      const p = prop(kind, m[1]!, FILTERABLE);
      if (!p) return unsupported(kind, m[1]!);
      const v = m[2]!.replace(/''/g, "'").toLowerCase();
      preds.push((r) => typeof r[p] === 'string' && (r[p] as string).toLowerCase().startsWith(v));
      continue;
    }
    const name = /^(?:\w+\()?\s*(\w+)/.exec(clause)?.[1] ?? clause;
    return unsupported(kind, name);
  }
  return (r) => preds.every((p) => p(r));
}

/** `$search` → a predicate, or Graph's 400. */
export function parseSearch(kind: Kind, search: string, consistencyLevel: string | undefined): Keep | QueryError {
  if ((consistencyLevel ?? '').toLowerCase() !== 'eventual') {
    return { code: 'Request_UnsupportedQuery', message: "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'" };
  }
  const m = /^"(\w+):([^"]*)"$/.exec(search.trim());
  const p = m ? prop(kind, m[1]!, SEARCHABLE) : undefined;
  if (!m || !p) return { code: 'Request_UnsupportedQuery', message: 'Unsupported query.' };
  const v = m[2]!.trim().toLowerCase();
  // Graph tokenizes the property and matches tokens that start with the text.
  return (r) => typeof r[p] === 'string' && (r[p] as string).toLowerCase().split(/[\s@._-]+/).some((t) => t.startsWith(v));
}

/** The query options of one list request: a predicate (null: none), or Graph's 400. */
export function directoryQuery(kind: Kind, q: { filter: string | null; search: string | null; orderby: string | null }, consistencyLevel: string | undefined): { keep: Keep | null } | QueryError {
  if (q.orderby !== null) return { code: 'Request_UnsupportedQuery', message: 'Sorting not supported for current query.' };
  const keeps: Keep[] = [];
  if (q.filter !== null) {
    const f = parseFilter(kind, q.filter);
    if (typeof f !== 'function') return f;
    keeps.push(f);
  }
  if (q.search !== null) {
    const s = parseSearch(kind, q.search, consistencyLevel);
    if (typeof s !== 'function') return s;
    keeps.push(s);
  }
  return { keep: keeps.length === 0 ? null : (r) => keeps.every((k) => k(r)) };
}
