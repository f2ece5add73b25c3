/**
 * Identity & access throttling (providers.md §2.6): each app + tenant pair has a budget of
 * resource units per 10 seconds that depends on the tenant's size — S (< 50 users) 3,500,
 * M (50–500) 5,000, L (> 500) 8,000 — and writes have their own 3,000 per 2 min 30 s. A
 * request costs its base units (GET users 2, groups/{id}/members 3, transitiveMembers 5,
 * memberOf 2, other GETs 1; writes 1), −1 with $select, +1 with $expand, −1 with $top < 20,
 * never below 1. Every answer carries `x-ms-resource-unit`; above 80 % of the budget also
 * `x-ms-throttle-limit-percentage`; a throttled one is 429 with Retry-After,
 * `x-ms-throttle-scope` and `x-ms-throttle-information`.
 * https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits
 */
export interface IdentityThrottleConfig {
  enabled: boolean;
  /** Overrides the size-based budget (resource units per 10 s) when set. */
  unitsPer10s: number | null;
  writesPer150s: number;
}

export const defaultIdentityThrottle = (): IdentityThrottleConfig => ({ enabled: true, unitsPer10s: null, writesPer150s: 3_000 });

export function tenantBudget(userCount: number): number {
  if (userCount < 50) return 3_500;
  if (userCount <= 500) return 5_000;
  return 8_000;
}

/** The resource-unit cost of one request; `segments` is the path after /v1.0, split on '/'. */
export function requestCost(method: string, segments: readonly string[], query: URLSearchParams): number {
  if (method !== 'GET') return 1;
  const [, root, id, sub] = segments;
  let cost = 1;
  if (root === 'users' && id === undefined) cost = 2;
  else if (root === 'groups' && id !== undefined && sub === 'members') cost = 3;
  else if (root === 'groups' && id !== undefined && sub === 'transitiveMembers') cost = 5;
  else if (root === 'users' && id !== undefined && (sub === 'memberOf' || sub === 'transitiveMemberOf')) cost = 2;
  if (query.has('$select')) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && top < 20) cost -= 1;
  return Math.max(1, cost);
}

export type ThrottleVerdict =
  | { readonly ok: true; readonly headers: Record<string, string> }
  | { readonly ok: false; readonly retryAfterSeconds: number; readonly headers: Record<string, string> };

interface Window {
  times: number[];
  costs: number[];
  head: number;
  sum: number;
}

export function createIdentityThrottle(config: IdentityThrottleConfig, now: () => number) {
  const units = new Map<string, Window>();
  const writes = new Map<string, Window>();

  function windowOf(map: Map<string, Window>, key: string, spanMs: number, at: number): Window {
    let w = map.get(key);
    if (!w) {
      w = { times: [], costs: [], head: 0, sum: 0 };
      map.set(key, w);
    }
    while (w.head < w.times.length && w.times[w.head]! <= at - spanMs) {
      w.sum -= w.costs[w.head]!;
      w.head += 1;
    }
    if (w.head > 4096) {
      w.times = w.times.slice(w.head);
      w.costs = w.costs.slice(w.head);
      w.head = 0;
    }
    return w;
  }

  /** Charges one request to the app + tenant budget, or refuses it. */
  function charge(appId: string, tenantId: string, userCount: number, cost: number, write: boolean): ThrottleVerdict {
    const at = now();
    if (!config.enabled) return { ok: true, headers: { 'x-ms-resource-unit': String(cost) } };
    const limit = config.unitsPer10s ?? tenantBudget(userCount);
    const key = `${appId}/${tenantId}`;
    const w = windowOf(units, key, 10_000, at);
    const ww = write ? windowOf(writes, key, 150_000, at) : null;
    const scope = `Tenant_Application/${write ? 'ReadWrite' : 'Read'}/${appId}/${tenantId}`;
    if (w.sum + cost > limit || (ww && ww.sum + 1 > config.writesPer150s)) {
      const over = ww && ww.sum + 1 > config.writesPer150s ? ww : w;
      const span = over === w ? 10_000 : 150_000;
      // Wait until enough of the oldest entries leave the window.
      let need = over === w ? w.sum + cost - limit : 1;
      let k = over.head;
      while (need > 0 && k < over.times.length) need -= over.costs[k++]!;
      const until = (over.times[Math.max(over.head, k - 1)] ?? at) + span;
      const retry = Math.max(1, Math.ceil((until - at) / 1000));
      return {
        ok: false,
        retryAfterSeconds: retry,
        headers: {
          'retry-after': String(retry),
          'x-ms-throttle-scope': scope,
          'x-ms-throttle-information': over === w ? 'ResourceUnitLimitExceeded' : 'WriteLimitExceeded',
          'x-ms-resource-unit': String(cost),
        },
      };
    }
    w.times.push(at);
    w.costs.push(cost);
    w.sum += cost;
    if (ww) {
      ww.times.push(at);
      ww.costs.push(1);
      ww.sum += 1;
    }
    const headers: Record<string, string> = { 'x-ms-resource-unit': String(cost) };
    const used = w.sum / limit;
    if (used > 0.8) headers['x-ms-throttle-limit-percentage'] = used.toFixed(1);
    return { ok: true, headers };
  }

  return { charge, config };
}

export type IdentityThrottle = ReturnType<typeof createIdentityThrottle>;
