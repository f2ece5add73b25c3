import { hash32 } from './generate.js';
import { AwsError, validationError } from './xml.js';

/**
 * Query-protocol parameters: `Name=value` pairs from the form body (POST) or the query
 * string (GET), lists as `Name.member.N` (providers.md §4.1).
 */
export interface Params {
  get(name: string): string | undefined;
  /** ValidationError when absent, with AWS's wording (the member name in lower camel case). */
  required(name: string): string;
  list(name: string): string[];
  int(name: string, min: number, max: number, fallback: number): number;
}

const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

export function paramsOf(search: URLSearchParams): Params {
  return {
    get: (name) => search.get(name) ?? undefined,
    required(name) {
      const v = search.get(name);
      if (v === null || v === '') throw validationError(`1 validation error detected: Value null at '${camel(name)}' failed to satisfy constraint: Member must not be null`);
      return v;
    },
    list(name) {
      const out: { n: number; v: string }[] = [];
      const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`);
      for (const [k, v] of search) {
        const m = re.exec(k);
        if (m) out.push({ n: Number(m[1]), v });
      }
      return out.sort((a, b) => a.n - b.n).map((x) => x.v);
    },
    int(name, min, max, fallback) {
      const raw = search.get(name);
      if (raw === null) return fallback;
      const v = Number(raw);
      if (!Number.isInteger(v)) throw validationError(`1 validation error detected: Value '${raw}' at '${camel(name)}' failed to satisfy constraint: Member must be an integer`);
      if (v < min) throw validationError(`1 validation error detected: Value '${raw}' at '${camel(name)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
      if (v > max) throw validationError(`1 validation error detected: Value '${raw}' at '${camel(name)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
      return v;
    },
  };
}

export interface PageResult<T> {
  readonly items: T[];
  readonly isTruncated: boolean;
  readonly marker: string | undefined;
}

/**
 * MaxItems (1–1000, default 100) / Marker / IsTruncated paging over positions 0..n-1 (an
 * undefined entry is a hole: removed, or filtered out). IAM "might return fewer results,
 * even when there are more results available" (API reference, MaxItems), so some pages —
 * chosen by a hash of the listing and the start position, hence repeatable — stop at half:
 * a client that stops when a page is short instead of on IsTruncated misses entities.
 * (Only pages reached with a Marker are shortened, so a probe with MaxItems=1 stays cheap.)
 */
export function pageOf<T>(n: number, at: (pos: number) => T | undefined, params: Params, listing: string): PageResult<T> {
  const maxItems = params.int('MaxItems', 1, 1000, 100);
  const start = decodeMarker(params.get('Marker'), listing);
  const salt = hash32(...[...listing].map((c) => c.charCodeAt(0)));
  // The first page is always full, the second always short, later ones by hash.
  const short = maxItems >= 2 && start > 0 && (start === maxItems || hash32(salt, start) % 3 === 0);
  const limit = short ? Math.ceil(maxItems / 2) : maxItems;
  const items: T[] = [];
  let pos = start;
  for (; pos < n && items.length < limit; pos++) {
    const v = at(pos);
    if (v !== undefined) items.push(v);
  }
  let more = false;
  for (let p = pos; p < n; p++) {
    if (at(p) !== undefined) {
      more = true;
      pos = p;
      break;
    }
  }
  return { items, isTruncated: more, marker: more ? encodeMarker(listing, pos) : undefined };
}

export function pageOfArray<T>(all: readonly T[], params: Params, listing: string): PageResult<T> {
  return pageOf(all.length, (i) => all[i], params, listing);
}

/** The Marker of position `pos` of a listing (faults that page wrongly on purpose use it). */
export function markerAt(listing: string, pos: number): string {
  return encodeMarker(listing, pos);
}

function encodeMarker(listing: string, pos: number): string {
  return Buffer.from(`m1|${listing}|${pos}`, 'utf8').toString('base64');
}

function decodeMarker(marker: string | undefined, listing: string): number {
  if (marker === undefined) return 0;
  const m = /^m1\|(.*)\|(\d+)$/s.exec(Buffer.from(marker, 'base64').toString('utf8'));
  if (!m || m[1] !== listing) throw new AwsError(400, 'InvalidInput', 'Invalid Marker.');
  return Number(m[2]);
}

/** Policy documents travel URL-encoded (RFC 3986) in IAM responses. */
export function encodeDocument(json: string): string {
  return encodeURIComponent(json).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
