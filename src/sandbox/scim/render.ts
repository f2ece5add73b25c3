import { extensionByUrn, resolvePath, splitAttrPath } from './schema-defs.js';
import type { Json, Stored } from './store.js';
import type { Tenant } from './tenant.js';
import { URN, type ResourceType } from './urns.js';

/**
 * Stored resources → SCIM JSON (RFC 7643): schemas, id, attributes, computed attributes
 * (a user's `groups`, members' `display` and `$ref`, the manager's `displayName`) and `meta`
 * with a weak ETag; then `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5).
 */
export interface RenderContext {
  readonly tenant: Tenant;
  /** The tenant's SCIM base URL, e.g. http://127.0.0.1:4321/apps/northwind/scim/v2 */
  readonly base: string;
}

export const etagOf = (s: Stored): string => `W/"${s.version}"`;

function meta(ctx: RenderContext, rt: ResourceType, s: Stored): Json {
  return {
    resourceType: rt,
    created: new Date(s.created).toISOString(),
    lastModified: new Date(s.lastModified).toISOString(),
    location: `${ctx.base}/${rt}s/${s.id}`,
    version: etagOf(s),
  };
}

function displayOf(ctx: RenderContext, type: 'User' | 'Group', id: string): string | undefined {
  const d = ctx.tenant.directory;
  return type === 'User' ? d.users.displayName(id) : d.groups.displayName(id);
}

export function renderUser(ctx: RenderContext, s: Stored): Json {
  const { password: _password, ...data } = s.data;
  void _password;
  const ext = data[URN.enterprise] as Json | undefined;
  const out: Json = { schemas: ext ? [URN.user, URN.enterprise] : [URN.user], id: s.id, ...data };
  if (ext) {
    const manager = ext['manager'] as Json | undefined;
    if (manager && typeof manager['value'] === 'string') {
      const name = displayOf(ctx, 'User', manager['value']);
      out[URN.enterprise] = { ...ext, manager: { value: manager['value'], $ref: `${ctx.base}/Users/${manager['value']}`, ...(name ? { displayName: name } : {}) } };
    }
  }
  const groups = ctx.tenant.directory.groupsOfMember(s.id);
  if (groups.length) {
    out['groups'] = groups.map((g) => ({ value: g, $ref: `${ctx.base}/Groups/${g}`, display: displayOf(ctx, 'Group', g), type: 'direct' }));
  }
  out['meta'] = meta(ctx, 'User', s);
  return out;
}

/** `members`: 'all', 'omit' (leave the attribute out) or a cap (silently truncated, as some servers do). */
export function renderGroup(ctx: RenderContext, s: Stored, members: 'all' | 'omit' | number = 'all'): Json {
  const { members: stored, ...data } = s.data;
  const out: Json = { schemas: [URN.group], id: s.id, ...data };
  if (members !== 'omit' && Array.isArray(stored)) {
    const list = typeof members === 'number' ? stored.slice(0, members) : stored;
    out['members'] = (list as Json[]).map((m) => {
      const value = String(m['value']);
      const type = m['type'] === 'Group' ? 'Group' : 'User';
      const display = displayOf(ctx, type, value);
      return { value, $ref: `${ctx.base}/${type}s/${value}`, type, ...(display ? { display } : {}) };
    });
  }
  out['meta'] = meta(ctx, 'Group', s);
  return out;
}

/** The stored attributes with id and meta: enough to filter and sort on anything but computed attributes. */
export function lightView(ctx: RenderContext, rt: ResourceType, s: Stored): Json {
  return { id: s.id, ...s.data, meta: meta(ctx, rt, s) };
}

export function render(ctx: RenderContext, rt: ResourceType, s: Stored, members: 'all' | 'omit' | number = 'all'): Json {
  return rt === 'User' ? renderUser(ctx, s) : renderGroup(ctx, s, members);
}

/** A parsed attributes / excludedAttributes list: container ('' = top level, else an extension URN) → attribute → sub-attributes or all. */
export type Selection = Map<string, Map<string, Set<string> | true>>;

const WHOLE = '*';

export function parseSelection(rt: ResourceType, text: string | null): Selection | null {
  if (text === null || text.trim() === '') return null;
  const sel: Selection = new Map();
  const add = (container: string, attr: string, sub?: string): void => {
    let attrs = sel.get(container);
    if (!attrs) sel.set(container, (attrs = new Map()));
    const cur = attrs.get(attr);
    if (sub === undefined) attrs.set(attr, true);
    else if (cur !== true) attrs.set(attr, (cur ?? new Set()).add(sub));
  };
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const ext = extensionByUrn(rt, item);
    if (ext) {
      add(ext.id, WHOLE);
      continue;
    }
    const p = splitAttrPath(item);
    const r = p && resolvePath(rt, p);
    // Unknown names select nothing (RFC 7644 does not make them an error).
    if (!r) continue;
    add(r.ext ?? '', r.attr.name, r.sub?.name);
  }
  return sel;
}

function pickKeys(v: unknown, keys: Set<string>): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Json = {};
  for (const k of keys) if ((v as Json)[k] !== undefined) out[k] = (v as Json)[k];
  return out;
}

/** Attributes a resource always carries, whatever was asked (RFC 7643 §7 returned "always"). */
const ALWAYS = ['schemas', 'id'];

export function project(full: Json, attributes: Selection | null, excluded: Selection | null): Json {
  if (attributes) {
    const out: Json = {};
    for (const k of ALWAYS) if (full[k] !== undefined) out[k] = full[k];
    for (const [container, attrs] of attributes) {
      const src = (container ? full[container] : full) as Json | undefined;
      if (!src || typeof src !== 'object') continue;
      const dst: Json = container ? ((out[container] as Json | undefined) ?? {}) : out;
      for (const [name, subs] of attrs) {
        if (name === WHOLE) {
          Object.assign(dst, src);
          continue;
        }
        const v = src[name];
        if (v === undefined) continue;
        dst[name] = subs === true ? v : Array.isArray(v) ? v.map((el) => pickKeys(el, subs)) : pickKeys(v, subs);
      }
      if (container && Object.keys(dst).length) out[container] = dst;
    }
    return out;
  }
  if (excluded) {
    const out: Json = structuredClone(full);
    for (const [container, attrs] of excluded) {
      const dst = (container ? out[container] : out) as Json | undefined;
      if (!dst || typeof dst !== 'object') continue;
      for (const [name, subs] of attrs) {
        if (name === WHOLE) {
          delete out[container];
          break;
        }
        if (!container && ALWAYS.includes(name)) continue;
        if (subs === true) delete dst[name];
        else {
          const v = dst[name];
          for (const el of Array.isArray(v) ? v : [v]) if (el && typeof el === 'object') for (const s of subs) delete (el as Json)[s];
        }
      }
      if (container && out[container] && Object.keys(out[container] as Json).length === 0) delete out[container];
    }
    return out;
  }
  return full;
}

/** Entra ID-style servers answer booleans as "True"/"False" strings; the tenant option turns that on. */
export function stringifyBooleans(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return v.map(stringifyBooleans);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const [k, x] of Object.entries(v as Json)) out[k] = k === 'meta' ? x : stringifyBooleans(x);
    return out;
  }
  return v;
}
