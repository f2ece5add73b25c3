import type { CompareOp, CompValue, Filter } from './filter.js';
import { findAttr, resolvePath, type AttrDef, type AttrPath, type AttrType } from './schema-defs.js';
import type { ResourceType } from './urns.js';

/**
 * Filter evaluation (RFC 7644 §3.4.2.2) against rendered resources (plain JSON with the
 * canonical attribute names). A filter is compiled once per request: unknown attributes and
 * operator/type combinations the RFC rules out (`gt` on a boolean, `co` on a number,
 * comparing a whole complex attribute) fail then, as 400 invalidFilter.
 */
export type Json = Record<string, unknown>;
export type Predicate = (resource: Json) => boolean;

export class FilterSemanticError extends Error {
  override readonly name = 'FilterSemanticError';
}

/** How to read an attribute's candidate values from an object, and what they are. */
interface Accessor {
  readonly get: (obj: Json) => unknown[];
  /** The definition the values are compared as (a sub-attribute, or `value` of a multi-valued complex). */
  readonly leaf: AttrDef;
  /** The top-level definition, for `pr` on multi-valued and complex attributes. */
  readonly top: AttrDef;
}

type Resolver = (p: AttrPath) => Accessor | undefined;

const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function field(obj: unknown, name: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  return (obj as Json)[name];
}

/** Accessor for a path on a resource of type `rt`; undefined when the attribute is unknown. */
export function resourceAccessor(rt: ResourceType, p: AttrPath): Accessor | undefined {
  const r = resolvePath(rt, p);
  if (!r) return undefined;
  const container = (obj: Json): unknown => (r.ext ? obj[r.ext] : obj);
  const attr = r.attr;
  if (r.sub) {
    const sub = r.sub;
    return { top: attr, leaf: sub, get: (obj) => asArray(field(container(obj), attr.name)).map((el) => field(el, sub.name)) };
  }
  if (attr.type === 'complex' && attr.multiValued) {
    // `emails co "x"` compares each email's `value` (RFC 7644 §3.4.2.2, multi-valued attributes).
    const value = findAttr(attr.subAttributes ?? [], 'value');
    return { top: attr, leaf: value ?? attr, get: (obj) => asArray(field(container(obj), attr.name)).map((el) => field(el, 'value')) };
  }
  return { top: attr, leaf: attr, get: (obj) => asArray(field(container(obj), attr.name)) };
}

function subAccessor(parent: AttrDef): Resolver {
  return (p) => {
    if (p.urn !== undefined || p.sub !== undefined) return undefined;
    const sub = findAttr(parent.subAttributes ?? [], p.attr);
    if (!sub) return undefined;
    return { top: sub, leaf: sub, get: (el) => asArray(field(el, sub.name)) };
  };
}

/** Compiles a filter for resources of type `rt`. Throws FilterSemanticError. */
export function compileFilter(rt: ResourceType, f: Filter): Predicate {
  return compile(f, (p) => resourceAccessor(rt, p), (p) => {
    const r = resolvePath(rt, p);
    return r && !r.sub && r.attr.type === 'complex' && r.attr.multiValued ? { def: r.attr, get: (obj: Json) => asArray(field(r.ext ? obj[r.ext] : obj, r.attr.name)) } : undefined;
  });
}

type MultiResolver = (p: AttrPath) => { def: AttrDef; get: (obj: Json) => unknown[] } | undefined;

function compile(f: Filter, resolve: Resolver, resolveMulti: MultiResolver): Predicate {
  switch (f.kind) {
    case 'and': {
      const l = compile(f.left, resolve, resolveMulti);
      const r = compile(f.right, resolve, resolveMulti);
      return (o) => l(o) && r(o);
    }
    case 'or': {
      const l = compile(f.left, resolve, resolveMulti);
      const r = compile(f.right, resolve, resolveMulti);
      return (o) => l(o) || r(o);
    }
    case 'not': {
      const inner = compile(f.filter, resolve, resolveMulti);
      return (o) => !inner(o);
    }
    case 'present': {
      const acc = need(resolve(f.path), f.path);
      return (o) => acc.get(o).some(isPresent);
    }
    case 'compare': {
      const acc = need(resolve(f.path), f.path);
      const test = comparator(f.op, acc.leaf, f.value, f.path);
      if (f.value === null) {
        // `eq null` / `ne null`: (not) present.
        if (f.op === 'eq') return (o) => !acc.get(o).some(isPresent);
        if (f.op === 'ne') return (o) => acc.get(o).some(isPresent);
        throw new FilterSemanticError(`operator ${f.op} cannot compare with null`);
      }
      // `ne` on a multi-valued attribute: no value equals it.
      if (f.op === 'ne') {
        const eq = comparator('eq', acc.leaf, f.value, f.path);
        return (o) => !acc.get(o).some((v) => v !== undefined && v !== null && eq(v));
      }
      return (o) => acc.get(o).some((v) => v !== undefined && v !== null && test(v));
    }
    case 'valuePath': {
      const multi = resolveMulti(f.path);
      if (!multi) {
        const r = resolve(f.path);
        if (!r) throw new FilterSemanticError(`unknown attribute ${show(f.path)}`);
        throw new FilterSemanticError(`"[ ]" applies to multi-valued complex attributes; ${show(f.path)} is not one`);
      }
      const inner = compile(f.filter, subAccessor(multi.def), () => undefined);
      return (o) => multi.get(o).some((el) => el !== null && typeof el === 'object' && inner(el as Json));
    }
  }
}

function need(acc: Accessor | undefined, p: AttrPath): Accessor {
  if (!acc) throw new FilterSemanticError(`unknown attribute ${show(p)}`);
  return acc;
}

function show(p: AttrPath): string {
  return `${p.urn ? `${p.urn}:` : ''}${p.attr}${p.sub ? `.${p.sub}` : ''}`;
}

export function isPresent(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.some(isPresent);
  if (typeof v === 'object') return Object.values(v as Json).some(isPresent);
  return true;
}

const STRINGISH: readonly AttrType[] = ['string', 'reference', 'binary', 'dateTime'];

function comparator(op: CompareOp, leaf: AttrDef, expected: CompValue, path: AttrPath): (actual: unknown) => boolean {
  if (leaf.type === 'complex') throw new FilterSemanticError(`${show(path)} is a complex attribute; compare one of its sub-attributes`);
  const ordering = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
  const substring = op === 'co' || op === 'sw' || op === 'ew';
  if (expected === null) return () => false;
  switch (leaf.type) {
    case 'boolean': {
      if (ordering || substring) throw new FilterSemanticError(`operator ${op} is not defined for the boolean attribute ${show(path)}`);
      const want = toBool(expected);
      if (want === undefined) throw new FilterSemanticError(`${show(path)} is boolean; compare it with true or false`);
      return (v) => toBool(v) === want;
    }
    case 'integer':
    case 'decimal': {
      if (substring) throw new FilterSemanticError(`operator ${op} is not defined for the numeric attribute ${show(path)}`);
      const want = typeof expected === 'number' ? expected : Number(expected);
      if (Number.isNaN(want)) throw new FilterSemanticError(`${show(path)} is numeric; compare it with a number`);
      return (v) => order(op, Number(v) - want);
    }
    case 'binary':
      if (ordering) throw new FilterSemanticError(`operator ${op} is not defined for the binary attribute ${show(path)}`);
      break;
    case 'dateTime':
      if (ordering) {
        const want = Date.parse(String(expected));
        if (Number.isNaN(want)) throw new FilterSemanticError(`${show(path)} is a dateTime; compare it with an ISO 8601 string`);
        return (v) => {
          const got = Date.parse(String(v));
          return !Number.isNaN(got) && order(op, got - want);
        };
      }
      break;
    case 'string':
    case 'reference':
      break;
  }
  if (!STRINGISH.includes(leaf.type)) throw new FilterSemanticError(`cannot compare ${show(path)}`);
  if (typeof expected !== 'string') {
    // A number or boolean against a string attribute compares its text ("employeeNumber eq 42").
    if (substring) throw new FilterSemanticError(`operator ${op} needs a quoted string`);
  }
  const fold = (s: string): string => (leaf.caseExact ? s : s.toLowerCase());
  const want = fold(String(expected));
  return (v) => {
    const got = fold(String(v));
    switch (op) {
      case 'eq':
        return got === want;
      case 'ne':
        return got !== want;
      case 'co':
        return got.includes(want);
      case 'sw':
        return got.startsWith(want);
      case 'ew':
        return got.endsWith(want);
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le':
        return order(op, got < want ? -1 : got > want ? 1 : 0);
    }
  };
}

function order(op: CompareOp, diff: number): boolean {
  switch (op) {
    case 'eq':
      return diff === 0;
    case 'ne':
      return diff !== 0;
    case 'gt':
      return diff > 0;
    case 'ge':
      return diff >= 0;
    case 'lt':
      return diff < 0;
    case 'le':
      return diff <= 0;
    case 'co':
    case 'sw':
    case 'ew':
      return false;
  }
}

/** true/false, or Entra ID's "True"/"False" strings. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}

/**
 * A sort key extractor and comparator for `sortBy` (RFC 7644 §3.4.2.3): multi-valued
 * attributes sort by their primary value (else the first); strings case-insensitively
 * unless caseExact; resources without a value sort last in ascending order.
 */
export function sorter(rt: ResourceType, p: AttrPath, descending: boolean): ((a: Json, b: Json) => number) | undefined {
  const acc = resourceAccessor(rt, p);
  if (!acc || acc.leaf.type === 'complex') return undefined;
  const r = resolvePath(rt, p)!;
  // Never-returned attributes (password) must not leak through the order either.
  if (r.attr.returned === 'never') return undefined;
  const key = (o: Json): unknown => {
    if (r.attr.multiValued) {
      const els = asArray(field(r.ext ? o[r.ext] : o, r.attr.name));
      const primary = els.find((e) => toBool(field(e, 'primary')) === true) ?? els[0];
      if (primary === undefined) return undefined;
      return r.attr.type === 'complex' ? field(primary, r.sub?.name ?? 'value') : primary;
    }
    return acc.get(o)[0];
  };
  const leaf = acc.leaf;
  const cmp = (x: unknown, y: unknown): number => {
    switch (leaf.type) {
      case 'integer':
      case 'decimal':
        return Number(x) - Number(y);
      case 'boolean':
        return Number(toBool(x)) - Number(toBool(y));
      case 'dateTime':
        return Date.parse(String(x)) - Date.parse(String(y));
      default: {
        const a = leaf.caseExact ? String(x) : String(x).toLowerCase();
        const b = leaf.caseExact ? String(y) : String(y).toLowerCase();
        return a < b ? -1 : a > b ? 1 : 0;
      }
    }
  };
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    const ma = ka === undefined || ka === null || ka === '';
    const mb = kb === undefined || kb === null || kb === '';
    if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1;
    const c = cmp(ka, kb);
    return descending ? -c : c;
  };
}

/** Compiles the filter of a PATCH value path (`members[value eq "…"]`) against one element of `def`. */
export function compileElementFilter(def: AttrDef, f: Filter): Predicate {
  return compile(f, subAccessor(def), () => undefined);
}
