import { randomBytes } from 'node:crypto';
import { baseFor, hashString, type SizeSpec } from './seed.js';
import { createDirectory, type Directory } from './store.js';

/**
 * One simulated SCIM app (a tenant of the `scim` origin): its resources, bearer tokens,
 * server behaviour switches and rate limit. Faults are scoped by the tenant id.
 */
export type TokenRights = 'read' | 'read_write';

export interface ScimToken {
  readonly id: string;
  readonly label: string;
  readonly secret: string;
  readonly rights: TokenRights;
  readonly createdAt: number;
  /** Epoch ms, or null for a token that never expires. */
  readonly expiresAt: number | null;
}

/** How this app's SCIM server behaves where real servers differ. */
export interface TenantOptions {
  /** Largest page the server returns; larger `count`s are capped (RFC 7644 §3.4.2.4). */
  maxPageSize: number;
  /** Answer every list with all matching resources from startIndex, whatever `count` says. */
  ignoreCount: boolean;
  /** Group members in list responses: all, none (attribute omitted), or at most n (silently truncated). */
  membersInList: 'all' | 'omit' | number;
  /** Accept PATCH `remove` with a filter path (`members[value eq "…"]`); false answers 400 invalidPath as servers that only take Entra ID's value-array form do. */
  filterPathRemove: boolean;
  /** `remove` with a path and no filter drops the whole attribute, ignoring "value" (a literal reading of RFC 7644 §3.5.2.2). */
  removeIgnoresValue: boolean;
  /** Render booleans as Entra-style strings "True"/"False". */
  stringBooleans: boolean;
  /** Accept PATCH `replace` with a path (`{"op":"replace","path":"active",…}`); false answers 400 invalidPath as servers that only take the path-less value-object form do. */
  replacePath: boolean;
  /** A filtered query matching more than this answers 400 tooMany. */
  maxFilterResults: number;
}

export interface RateLimit {
  enabled: boolean;
  requestsPerSecond: number;
  burst: number;
  /** Writes (POST/PUT/PATCH/DELETE) also spend a write quota of their own: most SCIM apps publish a lower write limit. */
  writesPerSecond: number;
  writeBurst: number;
}

export interface TenantStats {
  requests: number;
  throttled: number;
  /** Requests per route, e.g. 'GET /Users', 'GET /Groups/{id}', 'PATCH /Groups/{id}'. */
  byRoute: Record<string, number>;
}

export interface Tenant {
  readonly id: string;
  readonly displayName: string;
  /** Salt of the tenant's seeded ids (from seed + tenant id). */
  readonly salt: number;
  size: SizeSpec;
  directory: Directory;
  readonly tokens: Map<string, ScimToken>;
  readonly options: TenantOptions;
  readonly rateLimit: RateLimit;
  bucket: { tokens: number; at: number };
  writeBucket: { tokens: number; at: number };
  stats: TenantStats;
}

export const defaultOptions = (): TenantOptions => ({
  maxPageSize: 100,
  ignoreCount: false,
  membersInList: 'all',
  filterPathRemove: true,
  removeIgnoresValue: false,
  stringBooleans: false,
  replacePath: true,
  maxFilterResults: 10_000,
});

export const newStats = (): TenantStats => ({ requests: 0, throttled: 0, byRoute: {} });

export function createTenant(id: string, displayName: string, seed: number, size: SizeSpec, now: number): Tenant {
  const salt = hashString(`${seed}/${id}`);
  return {
    id,
    displayName,
    salt,
    size,
    directory: createDirectory(baseFor(size, seed, salt)),
    tokens: new Map(),
    options: defaultOptions(),
    rateLimit: { enabled: true, requestsPerSecond: 50, burst: 100, writesPerSecond: 10, writeBurst: 20 },
    bucket: { tokens: 100, at: now },
    writeBucket: { tokens: 20, at: now },
    stats: newStats(),
  };
}

/** Replaces the tenant's data with a fresh seeded set of `size`; tokens and options stay. */
export function reseed(t: Tenant, seed: number, size: SizeSpec): void {
  t.size = size;
  t.directory = createDirectory(baseFor(size, seed, t.salt));
}

export function addToken(t: Tenant, opts: { label: string; rights: TokenRights; expiresAt: number | null; secret?: string; now: number }): ScimToken {
  const token: ScimToken = {
    id: `tok_${randomBytes(6).toString('hex')}`,
    label: opts.label,
    secret: opts.secret ?? `scim_${randomBytes(24).toString('base64url')}`,
    rights: opts.rights,
    createdAt: opts.now,
    expiresAt: opts.expiresAt,
  };
  t.tokens.set(token.id, token);
  return token;
}

export function findToken(t: Tenant, secret: string): ScimToken | undefined {
  for (const tok of t.tokens.values()) if (tok.secret === secret) return tok;
  return undefined;
}

/** What an admin may see of a token: never the secret after creation, as real apps do. */
export function tokenView(tok: ScimToken): Record<string, unknown> {
  return {
    id: tok.id,
    label: tok.label,
    rights: tok.rights,
    createdAt: new Date(tok.createdAt).toISOString(),
    expiresAt: tok.expiresAt === null ? null : new Date(tok.expiresAt).toISOString(),
    hint: `…${tok.secret.slice(-4)}`,
  };
}

/**
 * Token bucket per tenant: `burst` requests at once, refilled at `requestsPerSecond`.
 * Returns 0 when the request may go, else the seconds to wait (for Retry-After).
 */
export function takeToken(t: Tenant, nowMs: number): number {
  const rl = t.rateLimit;
  return rl.enabled ? take(t.bucket, rl.burst, rl.requestsPerSecond, nowMs) : 0;
}

/** The write quota's bucket: 0 when the write may go, else the seconds to wait (Retry-After). */
export function takeWriteToken(t: Tenant, nowMs: number): number {
  const rl = t.rateLimit;
  return rl.enabled ? take(t.writeBucket, rl.writeBurst, rl.writesPerSecond, nowMs) : 0;
}

/** Refills `bucket` for the time since it was last used, then takes one token: 0, or the whole seconds until one is there. */
function take(bucket: { tokens: number; at: number }, burst: number, perSecond: number, nowMs: number): number {
  const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
  bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond);
  bucket.at = nowMs;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return 0;
  }
  return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
}
