import { bad } from './errors.js';
import { compileElementFilter, FilterSemanticError } from './evaluate.js';
import { FilterSyntaxError, parsePatchPath, type Filter } from './filter.js';
import { extensionByUrn, findAttr, resolvePath, splitAttrPath, type Resolved } from './schema-defs.js';
import type { Json } from './store.js';
import type { ResourceType } from './urns.js';
import { URN } from './urns.js';
import { canonical, coerce, coerceSingle } from './write.js';

/**
 * PATCH (RFC 7644 §3.5.2) in both dialects a server meets:
 * - the RFC's: lower-case ops, boolean values, filter paths (`members[value eq "…"]`),
 *   path-less replace with an object;
 * - Entra ID's (learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups,
 *   providers.md §5.6): "Add"/"Replace"/"Remove", "True"/"False" strings, member removal as
 *   `{"op":"Remove","path":"members","value":[{"value":"id"}]}`, path-less replace with
 *   dotted keys ("name.givenName") and enterprise URN keys, `"$ref": null` in added members.
 * Operations apply to a copy; the caller stores the result only when every one succeeded
 * (atomic, §3.5.2).
 */
export interface PatchOptions {
  /** false: `remove` with a filter path answers 400 invalidPath (servers that only take the value-array form). */
  readonly filterPathRemove: boolean;
  /**
   * true: `remove` with a path and no filter removes the whole attribute, ignoring any
   * "value" — the literal reading of RFC 7644 §3.5.2.2, under which Entra ID's value-array
   * removal empties the group.
   */
  readonly removeIgnoresValue?: boolean;
  /** false: `replace` with a path answers 400 invalidPath (servers that only take the path-less value-object form). */
  readonly replacePath?: boolean;
}

type Op = 'add' | 'remove' | 'replace';
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function field(obj: Json, name: string): unknown {
  const k = Object.keys(obj).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : obj[k];
}

export function applyPatch(rt: ResourceType, current: Json, body: unknown, opts: PatchOptions): Json {
  if (!isObject(body)) throw bad('invalidSyntax', 'the request body must be a JSON object');
  const schemas = field(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patchOp.toLowerCase())) {
    throw bad('invalidSyntax', `"schemas" must be ["${URN.patchOp}"]`);
  }
  const ops = field(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0) throw bad('invalidSyntax', '"Operations" must be a non-empty array');
  const data: Json = structuredClone(current);
  for (const [i, raw] of ops.entries()) {
    if (!isObject(raw)) throw bad('invalidSyntax', `Operations[${i}] must be an object`);
    const opName = String(field(raw, 'op') ?? '').toLowerCase();
    if (opName !== 'add' && opName !== 'remove' && opName !== 'replace') {
      throw bad('invalidSyntax', `Operations[${i}].op must be add, remove or replace (got ${JSON.stringify(field(raw, 'op'))})`);
    }
    const op = opName as Op;
    const pathRaw = field(raw, 'path');
    const value = field(raw, 'value');
    const path = typeof pathRaw === 'string' && pathRaw.trim() !== '' ? pathRaw.trim() : null;
    if (path === null) {
      if (op === 'remove') throw bad('noTarget', `Operations[${i}]: remove needs a "path"`);
      if (!isObject(value)) throw bad('invalidSyntax', `Operations[${i}]: without a "path", "value" must be an object of attributes`);
      pathless(rt, data, op, value, opts);
      continue;
    }
    if ((op === 'add' || op === 'replace') && value === undefined) throw bad('invalidSyntax', `Operations[${i}]: ${op} needs a "value"`);
    if (op === 'replace' && opts.replacePath === false) throw bad('invalidPath', `Operations[${i}]: replace with a "path" is not supported; send {"op":"replace","value":{…}}`);
    withPath(rt, data, op, path, value, opts);
  }
  return canonical(rt, prune(data));
}

function pathless(rt: ResourceType, data: Json, op: Op, value: Json, opts: PatchOptions): void {
  for (const [k, v] of Object.entries(value)) {
    if (['schemas', 'id', 'meta'].includes(k.toLowerCase())) continue;
    const ext = extensionByUrn(rt, k);
    if (ext) {
      if (!isObject(v)) throw bad('invalidSyntax', `${ext.id} must be an object`);
      for (const [k2, v2] of Object.entries(v)) {
        const p = splitAttrPath(k2);
        const r = p && resolvePath(rt, { ...p, urn: ext.id });
        if (!r) throw bad('invalidPath', `unknown attribute ${ext.id}:${k2}`);
        apply(data, op, writable(r, k2), v2, opts);
      }
      continue;
    }
    const p = splitAttrPath(k);
    const r = p && resolvePath(rt, p);
    if (!r) throw bad('invalidPath', `unknown attribute ${k}`);
    apply(data, op, writable(r, k), v, opts);
  }
}

function writable(r: Resolved, text: string): Resolved {
  if (r.attr.mutability === 'readOnly' || r.sub?.mutability === 'readOnly') throw bad('mutability', `${text} is read-only`);
  return r;
}

function withPath(rt: ResourceType, data: Json, op: Op, text: string, value: unknown, opts: PatchOptions): void {
  let parsed;
  try {
    parsed = parsePatchPath(text);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw bad('invalidPath', e.message);
    throw e;
  }
  const r = resolvePath(rt, parsed.path);
  if (!r) throw bad('invalidPath', `unknown attribute in path ${JSON.stringify(text)}`);
  writable(r, text);
  if (!parsed.filter) {
    apply(data, op, r, value, opts);
    return;
  }
  if (!(r.attr.type === 'complex' && r.attr.multiValued)) throw bad('invalidPath', `"[ ]" applies to multi-valued complex attributes; ${r.attr.name} is not one`);
  if (op === 'remove' && !opts.filterPathRemove) {
    throw bad('invalidPath', `filter paths are not supported for remove; send {"op":"remove","path":"${r.attr.name}","value":[{"value":"…"}]}`);
  }
  let sub;
  if (parsed.sub !== undefined) {
    sub = findAttr(r.attr.subAttributes ?? [], parsed.sub);
    if (!sub) throw bad('invalidPath', `unknown sub-attribute ${parsed.sub} of ${r.attr.name}`);
    if (sub.mutability === 'readOnly' || (sub.mutability === 'immutable' && op !== 'add')) throw bad('mutability', `${r.attr.name}.${sub.name} cannot be changed`);
  }
  let match;
  try {
    match = compileElementFilter(r.attr, parsed.filter);
  } catch (e) {
    if (e instanceof FilterSemanticError) throw bad('invalidPath', e.message);
    throw e;
  }
  const container = containerOf(data, r, op !== 'remove');
  const elements = (container && Array.isArray(container[r.attr.name]) ? (container[r.attr.name] as Json[]) : []).filter(isObject);
  let matched = elements.filter((el) => match(el));
  if (op === 'remove') {
    if (matched.length === 0) throw bad('noTarget', `no value of ${r.attr.name} matches ${JSON.stringify(text)}`);
    if (sub) for (const el of matched) delete el[sub.name];
    else container![r.attr.name] = elements.filter((el) => !matched.includes(el));
    return;
  }
  if (matched.length === 0) {
    // `emails[type eq "work"].value` on a user without a work email: create that element
    // (what Entra ID expects, and the only reading of an add with a filter that can succeed).
    const seed = equalities(parsed.filter);
    if (!seed) throw bad('noTarget', `no value of ${r.attr.name} matches ${JSON.stringify(text)}`);
    const el = coerceSingle(r.attr, seed) as Json;
    elements.push(el);
    container![r.attr.name] = elements;
    matched = [el];
  }
  if (sub) {
    const v = coerceSingle(sub, value);
    for (const el of matched) {
      if (v === undefined) delete el[sub.name];
      else el[sub.name] = v;
    }
    return;
  }
  const v = coerceSingle(r.attr, value);
  if (!isObject(v)) throw bad('invalidValue', `the value for ${JSON.stringify(text)} must be an object`);
  for (const el of matched) Object.assign(el, v);
}

/** The `attr eq value [and …]` pairs of a value filter, or null when it is anything else. */
function equalities(f: Filter): Json | null {
  if (f.kind === 'compare' && f.op === 'eq' && f.path.sub === undefined && f.path.urn === undefined) return { [f.path.attr]: f.value };
  if (f.kind === 'and') {
    const l = equalities(f.left);
    const r = equalities(f.right);
    return l && r ? { ...l, ...r } : null;
  }
  return null;
}

function containerOf(data: Json, r: Resolved, create: boolean): Json | undefined {
  if (!r.ext) return data;
  const c = data[r.ext];
  if (isObject(c)) return c;
  if (!create) return undefined;
  const fresh: Json = {};
  data[r.ext] = fresh;
  return fresh;
}

/** Identity of a multi-valued element for "already there" (RFC 7644 §3.5.2.1: no duplicate values). */
function sameElement(attr: string, a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    if (attr === 'members' || attr === 'groups') return a['value'] === b['value'];
    return a['value'] === b['value'] && (a['type'] ?? null) === (b['type'] ?? null);
  }
  return a === b;
}

/** add / replace / remove on an attribute path without a value filter. */
function apply(data: Json, op: Op, r: Resolved, value: unknown, opts: PatchOptions): void {
  const container = containerOf(data, r, op !== 'remove');
  if (!container) return;
  const name = r.attr.name;
  if (r.sub) {
    const sub = r.sub;
    if (r.attr.multiValued) {
      const els = Array.isArray(container[name]) ? (container[name] as Json[]) : [];
      if (op === 'remove') {
        for (const el of els) if (isObject(el)) delete el[sub.name];
        return;
      }
      if (els.length === 0) throw bad('noTarget', `${name} has no values to set ${sub.name} on`);
      const v = coerceSingle(sub, value);
      for (const el of els) if (isObject(el)) (v === undefined ? delete el[sub.name] : (el[sub.name] = v));
      return;
    }
    const obj: Json = isObject(container[name]) ? (container[name] as Json) : {};
    if (op === 'remove') delete obj[sub.name];
    else {
      const v = coerceSingle(sub, value);
      if (v === undefined) delete obj[sub.name];
      else obj[sub.name] = v;
    }
    container[name] = obj;
    return;
  }
  switch (op) {
    case 'remove': {
      if (r.attr.multiValued && value !== undefined && value !== null && !opts.removeIgnoresValue) {
        // Entra ID: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes those values only.
        const gone = (Array.isArray(value) ? value : [value]).map((x) => (isObject(x) ? x['value'] : x));
        const els = Array.isArray(container[name]) ? (container[name] as unknown[]) : [];
        container[name] = els.filter((el) => !gone.some((g) => (isObject(el) ? el['value'] === g : el === g)));
        return;
      }
      delete container[name];
      return;
    }
    case 'add': {
      const v = coerce(r.attr, value);
      if (v === undefined) return;
      if (r.attr.multiValued) {
        const els = Array.isArray(container[name]) ? [...(container[name] as unknown[])] : [];
        for (const x of v as unknown[]) if (!els.some((el) => sameElement(name, el, x))) els.push(x);
        container[name] = els;
      } else if (r.attr.type === 'complex' && isObject(container[name])) container[name] = { ...(container[name] as Json), ...(v as Json) };
      else container[name] = v;
      return;
    }
    case 'replace': {
      const v = coerce(r.attr, value);
      if (v === undefined) delete container[name];
      // A complex value replaces the sub-attributes it names and leaves the others (RFC 7644 §3.5.2.3).
      else if (!r.attr.multiValued && r.attr.type === 'complex' && isObject(container[name])) container[name] = { ...(container[name] as Json), ...(v as Json) };
      else container[name] = v;
      return;
    }
  }
}

/** Empty arrays and objects mean "unassigned" (RFC 7643 §2.5). */
function prune(data: Json): Json {
  for (const [k, v] of Object.entries(data)) {
    if (Array.isArray(v)) {
      const kept = v.filter((el) => !(isObject(el) && Object.keys(el).length === 0));
      if (kept.length === 0) delete data[k];
      else data[k] = kept;
    } else if (isObject(v)) {
      prune(v);
      if (Object.keys(v).length === 0) delete data[k];
    }
  }
  return data;
}
