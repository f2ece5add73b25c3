/**
 * Google's partial-response system parameter: `fields=nextPageToken,users(id,name/givenName)`.
 * A comma-separated list of paths ('/' descends), each optionally followed by a
 * parenthesised sub-selection applied to every element of an array or to an object.
 * https://developers.google.com/admin-sdk/directory/v1/guides/performance#partial-response
 */
export type FieldMask = Map<string, FieldMask | true>;

/** The mask, or null when the expression does not parse (Google answers 400). */
export function parseFields(spec: string): FieldMask | null {
  let pos = 0;
  const s = spec.replace(/\s+/g, '');

  function list(): FieldMask | null {
    const mask: FieldMask = new Map();
    for (;;) {
      const path: string[] = [];
      for (;;) {
        const m = /^[A-Za-z_$@][A-Za-z0-9_$@.-]*|^\*/.exec(s.slice(pos));
        if (!m) return null;
        path.push(m[0]);
        pos += m[0].length;
        if (s[pos] !== '/') break;
        pos += 1;
      }
      let sub: FieldMask | true = true;
      if (s[pos] === '(') {
        pos += 1;
        const inner = list();
        if (!inner || s[pos] !== ')') return null;
        pos += 1;
        sub = inner;
      }
      merge(mask, path, sub);
      if (s[pos] !== ',') return mask;
      pos += 1;
    }
  }

  const mask = list();
  return mask && pos === s.length ? mask : null;
}

function merge(mask: FieldMask, path: readonly string[], sub: FieldMask | true): void {
  const [head, ...rest] = path;
  const leaf: FieldMask | true = rest.length ? new Map() : sub;
  const have = mask.get(head!);
  if (have === true) return;
  if (rest.length === 0) {
    if (sub === true || !have) mask.set(head!, sub);
    else for (const [k, v] of sub) mergeInto(have, k, v);
    return;
  }
  const next = have ?? (leaf as FieldMask);
  mask.set(head!, next);
  merge(next, rest, sub);
}

function mergeInto(mask: FieldMask, key: string, value: FieldMask | true): void {
  const have = mask.get(key);
  if (have === true || value === true || !have) mask.set(key, value === true || !have ? value : have);
  else for (const [k, v] of value) mergeInto(have, k, v);
}

export function applyFields(value: unknown, mask: FieldMask): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFields(v, mask));
  if (!value || typeof value !== 'object') return value;
  if (mask.has('*')) return value;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of mask) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] = sub === true ? v : applyFields(v, sub);
  }
  return out;
}
