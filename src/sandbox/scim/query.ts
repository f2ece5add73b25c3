import { bad } from './errors.js';
import { compileFilter, FilterSemanticError, sorter, type Predicate } from './evaluate.js';
import { FilterSyntaxError, parseFilter, type Filter } from './filter.js';
import { lightView, parseSelection, project, render, stringifyBooleans, type RenderContext } from './render.js';
import { resolvePath, splitAttrPath } from './schema-defs.js';
import type { Json, Stored } from './store.js';
import { URN, type ResourceType } from './urns.js';

/**
 * Listing with query parameters (RFC 7644 §3.4.2): filter, sortBy/sortOrder, 1-based
 * startIndex, count (capped at the server's page size; 0 → totalResults only), attributes /
 * excludedAttributes; the answer is a ListResponse with capital-R `Resources`.
 */
export interface ListQuery {
  readonly filter: string | null;
  readonly sortBy: string | null;
  readonly sortOrder: 'ascending' | 'descending';
  readonly startIndex: number;
  readonly count: number | null;
  readonly attributes: string | null;
  readonly excludedAttributes: string | null;
}

function intParam(name: string, raw: unknown): number | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n)) throw bad('invalidValue', `${name} must be an integer`);
  return n;
}

function sortOrderOf(raw: unknown): 'ascending' | 'descending' {
  if (raw === null || raw === undefined || raw === '') return 'ascending';
  const s = String(raw).toLowerCase();
  if (s !== 'ascending' && s !== 'descending') throw bad('invalidValue', 'sortOrder must be "ascending" or "descending"');
  return s;
}

/** Query parameter names are matched case-insensitively (clients send `startindex`, `Count`, …). */
export function queryFromUrl(sp: URLSearchParams): ListQuery {
  const get = (name: string): string | null => {
    for (const [k, v] of sp) if (k.toLowerCase() === name.toLowerCase()) return v;
    return null;
  };
  return {
    filter: get('filter'),
    sortBy: get('sortBy'),
    sortOrder: sortOrderOf(get('sortOrder')),
    startIndex: Math.max(1, intParam('startIndex', get('startIndex')) ?? 1),
    count: intParam('count', get('count')),
    attributes: get('attributes'),
    excludedAttributes: get('excludedAttributes'),
  };
}

/** POST …/.search with a SearchRequest (RFC 7644 §3.4.3). */
export function queryFromSearch(body: unknown): ListQuery {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('invalidSyntax', 'the request body must be a SearchRequest object');
  const b = body as Json;
  const schemas = b['schemas'];
  if (!Array.isArray(schemas) || !schemas.includes(URN.searchRequest)) throw bad('invalidSyntax', `"schemas" must be ["${URN.searchRequest}"]`);
  const list = (v: unknown): string | null => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : null);
  return {
    filter: typeof b['filter'] === 'string' ? b['filter'] : null,
    sortBy: typeof b['sortBy'] === 'string' ? b['sortBy'] : null,
    sortOrder: sortOrderOf(b['sortOrder']),
    startIndex: Math.max(1, intParam('startIndex', b['startIndex']) ?? 1),
    count: intParam('count', b['count']),
    attributes: list(b['attributes']),
    excludedAttributes: list(b['excludedAttributes']),
  };
}

function compile(rt: ResourceType, text: string): { ast: Filter; test: Predicate } {
  let ast: Filter;
  try {
    ast = parseFilter(text);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw bad('invalidFilter', e.message);
    throw e;
  }
  // Personal secrets never travel in URLs (RFC 7644 §3.12 scimType "sensitive").
  if (mentions(ast, (p) => p.attr.toLowerCase() === 'password')) throw bad('sensitive', 'password cannot be used in a filter');
  try {
    return { ast, test: compileFilter(rt, ast) };
  } catch (e) {
    if (e instanceof FilterSemanticError) throw bad('invalidFilter', e.message);
    throw e;
  }
}

function mentions(f: Filter, pred: (p: { attr: string }) => boolean): boolean {
  switch (f.kind) {
    case 'and':
    case 'or':
      return mentions(f.left, pred) || mentions(f.right, pred);
    case 'not':
      return mentions(f.filter, pred);
    case 'present':
    case 'compare':
      return pred(f.path);
    case 'valuePath':
      return pred(f.path) || mentions(f.filter, pred);
  }
}

/** `userName eq "x"` and `id eq "x"` (Entra ID's matching queries) are answered from indexes. */
function indexed(ctx: RenderContext, rt: ResourceType, ast: Filter): Stored[] | null {
  if (ast.kind !== 'compare' || ast.op !== 'eq' || typeof ast.value !== 'string' || ast.path.sub !== undefined) return null;
  const r = resolvePath(rt, ast.path);
  if (!r || r.ext) return null;
  const dir = ctx.tenant.directory;
  if (r.attr.name === 'id') {
    const s = rt === 'User' ? dir.users.get(ast.value) : dir.groups.get(ast.value);
    return s ? [s] : [];
  }
  if (rt === 'User' && r.attr.name === 'userName') {
    const id = dir.userIdByName(ast.value);
    const s = id === undefined ? undefined : dir.users.get(id);
    return s ? [s] : [];
  }
  return null;
}

/** Applies the tenant's list-only behaviour (members left out or truncated) and projection. */
export function listItem(ctx: RenderContext, rt: ResourceType, full: Json, q: Pick<ListQuery, 'attributes' | 'excludedAttributes'>): Json {
  let json = full;
  const mode = ctx.tenant.options.membersInList;
  if (rt === 'Group' && mode !== 'all' && Array.isArray(full['members'])) {
    json = { ...full };
    if (mode === 'omit') delete json['members'];
    else json['members'] = (full['members'] as unknown[]).slice(0, mode);
  }
  return output(ctx, rt, json, q);
}

export function output(ctx: RenderContext, rt: ResourceType, full: Json, q: Pick<ListQuery, 'attributes' | 'excludedAttributes'>): Json {
  const projected = project(full, parseSelection(rt, q.attributes), parseSelection(rt, q.excludedAttributes));
  return ctx.tenant.options.stringBooleans ? (stringifyBooleans(projected) as Json) : projected;
}

export function runList(ctx: RenderContext, rt: ResourceType, q: ListQuery): Json {
  const opts = ctx.tenant.options;
  const coll = rt === 'User' ? ctx.tenant.directory.users : ctx.tenant.directory.groups;
  const count = opts.ignoreCount ? Number.POSITIVE_INFINITY : Math.min(Math.max(q.count ?? opts.maxPageSize, 0), opts.maxPageSize);
  const start = q.startIndex;
  let compare: ((a: Json, b: Json) => number) | undefined;
  if (q.sortBy) {
    const p = splitAttrPath(q.sortBy.trim());
    compare = p && sorter(rt, p, q.sortOrder === 'descending');
    if (!compare) throw bad('invalidValue', `sortBy ${JSON.stringify(q.sortBy)} is not a sortable attribute`);
  }
  let total: number;
  let page: Json[];
  if (!q.filter && !compare) {
    // Unfiltered, unsorted: positional access, so the large size pages in O(page).
    total = coll.count();
    page = [];
    for (let p = start - 1; p < total && page.length < count; p++) {
      const s = coll.at(p);
      if (s) page.push(render(ctx, rt, s));
    }
  } else {
    const f = q.filter ? compile(rt, q.filter) : null;
    // Filtering and sorting read a light view of each resource; only the page is rendered in
    // full. Computed attributes (a user's groups, members' display names, the manager's
    // name) are worked out only when the query names them.
    const heavy = (q.filter ?? '').match(/\b(groups|members|manager)\b/i) !== null || /^(groups|members|manager)/i.test(q.sortBy ?? '');
    const view = (s: Stored): Json => (heavy ? render(ctx, rt, s) : lightView(ctx, rt, s));
    const candidates = f ? (indexed(ctx, rt, f.ast) ?? coll.all()) : coll.all();
    const matches: { s: Stored; v: Json }[] = [];
    for (const s of candidates) {
      const v = view(s);
      if (f && !f.test(v)) continue;
      matches.push({ s, v });
      if (f && matches.length > opts.maxFilterResults) {
        throw bad('tooMany', `the filter matches more than ${opts.maxFilterResults} resources; narrow it down`);
      }
    }
    if (compare) matches.sort((a, b) => compare(a.v, b.v));
    total = matches.length;
    page = matches.slice(start - 1, count === Number.POSITIVE_INFINITY ? undefined : start - 1 + count).map((m) => render(ctx, rt, m.s));
  }
  const resources = page.map((full) => listItem(ctx, rt, full, q));
  return {
    schemas: [URN.listResponse],
    totalResults: total,
    startIndex: start,
    itemsPerPage: resources.length,
    // Required only when totalResults > 0 (RFC 7644 §3.4.2); many servers leave it out at 0.
    ...(total > 0 && count > 0 ? { Resources: resources } : {}),
  };
}
