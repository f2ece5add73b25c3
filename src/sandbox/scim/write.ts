import { bad } from './errors.js';
import { toBool } from './evaluate.js';
import { commonAttributes, coreSchemaOf, extensionByUrn, extensionsOf, findAttr, resolvePath, splitAttrPath, type AttrDef } from './schema-defs.js';
import type { Directory, Json } from './store.js';
import type { ResourceType } from './urns.js';

/**
 * Incoming attribute values: type checks and the coercions real clients need (Entra ID's
 * "True"/"False" strings, `"$ref": null` in members, a manager given as a bare id), then
 * the checks a write must pass as a whole (required attributes, userName uniqueness,
 * members that exist).
 */
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One value of `def` (for a multi-valued attribute: one element). undefined = unassigned. */
export function coerceSingle(def: AttrDef, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  const where = def.name;
  switch (def.type) {
    case 'complex': {
      // Entra ID sends the manager as its id: {"path": "…:manager", "value": "2819c223-…"}.
      if (typeof v === 'string' && findAttr(def.subAttributes ?? [], 'value')) return { value: v };
      if (!isObject(v)) throw bad('invalidValue', `${where} must be an object`);
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) {
        const sub = findAttr(def.subAttributes ?? [], k);
        if (!sub || sub.mutability === 'readOnly') continue;
        const c = coerceSingle(sub, x);
        if (c !== undefined) out[sub.name] = c;
      }
      return Object.keys(out).length ? out : undefined;
    }
    case 'boolean': {
      const b = toBool(v);
      if (b === undefined) throw bad('invalidValue', `${where} must be a boolean`);
      return b;
    }
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('invalidValue', `${where} must be an integer`);
      return v;
    case 'decimal':
      if (typeof v !== 'number') throw bad('invalidValue', `${where} must be a number`);
      return v;
    case 'dateTime':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw bad('invalidValue', `${where} must be an xsd:dateTime string`);
      return v;
    case 'string':
      // Numbers are common for employeeNumber; keep their text.
      if (typeof v === 'number') return String(v);
      if (typeof v !== 'string') throw bad('invalidValue', `${where} must be a string`);
      return v;
    case 'reference':
    case 'binary':
      if (typeof v !== 'string') throw bad('invalidValue', `${where} must be a string`);
      return v;
  }
}

/** A whole attribute value; a multi-valued one may arrive as one element. */
export function coerce(def: AttrDef, v: unknown): unknown {
  if (!def.multiValued) return coerceSingle(def, v);
  if (v === null || v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).map((x) => coerceSingle(def, x)).filter((x) => x !== undefined);
  return list.length ? list : undefined;
}

/** The attributes of a POST/PUT body (RFC 7644 §3.3, §3.5.1). readOnly and unknown attributes are ignored. */
export function normalizeBody(rt: ResourceType, body: unknown): Json {
  if (!isObject(body)) throw bad('invalidSyntax', 'the request body must be a JSON object');
  const schemas = Object.entries(body).find(([k]) => k.toLowerCase() === 'schemas')?.[1];
  const core = coreSchemaOf[rt].id;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === core.toLowerCase())) {
    throw bad('invalidSyntax', `"schemas" must list ${core}`);
  }
  const data: Json = {};
  for (const [k, v] of Object.entries(body)) {
    if (['schemas', 'id', 'meta'].includes(k.toLowerCase())) continue;
    const ext = extensionByUrn(rt, k);
    if (ext) {
      if (!isObject(v)) throw bad('invalidSyntax', `${ext.id} must be an object`);
      const out: Json = {};
      for (const [k2, v2] of Object.entries(v)) {
        const def = findAttr(ext.attributes, k2);
        if (!def || def.mutability === 'readOnly') continue;
        const c = coerce(def, v2);
        if (c !== undefined) out[def.name] = c;
      }
      if (Object.keys(out).length) data[ext.id] = { ...((data[ext.id] as Json | undefined) ?? {}), ...out };
      continue;
    }
    const p = splitAttrPath(k);
    const r = p && resolvePath(rt, p);
    if (!r || r.attr.mutability === 'readOnly' || r.sub) continue;
    const c = coerce(r.attr, v);
    if (c === undefined) continue;
    if (r.ext) data[r.ext] = { ...((data[r.ext] as Json | undefined) ?? {}), [r.attr.name]: c };
    else data[r.attr.name] = c;
  }
  return canonical(rt, data);
}

/** Attributes in schema order (externalId first), as servers usually answer. */
export function canonical(rt: ResourceType, data: Json): Json {
  const out: Json = {};
  const order = [...commonAttributes.map((a) => a.name), ...coreSchemaOf[rt].attributes.map((a) => a.name)];
  for (const name of order) if (data[name] !== undefined) out[name] = data[name];
  for (const ext of extensionsOf[rt]) if (data[ext.id] !== undefined) out[ext.id] = data[ext.id];
  return out;
}

/**
 * At most one `primary: true` per multi-valued attribute (RFC 7643 §2.4): the last one
 * set wins, as a PATCH adding a new primary value expects.
 */
export function onePrimary(data: Json): void {
  const fix = (obj: Json): void => {
    for (const v of Object.values(obj)) {
      if (!Array.isArray(v)) continue;
      let seen = false;
      for (let i = v.length - 1; i >= 0; i--) {
        const el = v[i] as Json;
        if (isObject(el) && el['primary'] === true) {
          if (seen) el['primary'] = false;
          seen = true;
        }
      }
    }
  };
  fix(data);
  for (const v of Object.values(data)) if (isObject(v)) fix(v);
}

/** Checks a resource as a whole before it is stored; fills in member types. */
export function validateResource(dir: Directory, rt: ResourceType, selfId: string | null, data: Json): void {
  onePrimary(data);
  if (rt === 'User') {
    const userName = data['userName'];
    if (typeof userName !== 'string' || userName.trim() === '') throw bad('invalidValue', 'userName is required');
    const other = dir.userIdByName(userName);
    if (other !== undefined && other !== selfId) throw bad('uniqueness', `userName ${JSON.stringify(userName)} is already taken`);
    return;
  }
  const name = data['displayName'];
  if (typeof name !== 'string' || name.trim() === '') throw bad('invalidValue', 'displayName is required');
  const members = data['members'];
  if (members === undefined) return;
  const seen = new Set<string>();
  const out: Json[] = [];
  for (const m of members as Json[]) {
    const value = m['value'];
    if (typeof value !== 'string' || value === '') throw bad('invalidValue', 'every member needs a "value" (the member\'s id)');
    if (seen.has(value)) continue;
    seen.add(value);
    if (value === selfId) throw bad('invalidValue', 'a group cannot be a member of itself');
    const type = dir.users.get(value) ? 'User' : dir.groups.get(value) ? 'Group' : null;
    if (!type) throw bad('invalidValue', `member ${value} does not exist`);
    out.push({ value, type });
  }
  if (out.length) data['members'] = out;
  else delete data['members'];
}

