import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import type { ConnectionRow } from '../store/connections-repo.js';
import type { ConnectorContext, MailDestination, MailSource } from '../connectors/sdk/index.js';
import { openMailDestination, openMailSource } from '../connections/service.js';
import { httpOptionsFor } from '../connections/kinds/index.js';
import { tenantGate } from './budgets.js';

/**
 * Connectors for syncing, opened with the tenant's shared rate gate and kept per process
 * while the connection row is unchanged, so access tokens are reused across jobs (an idle
 * cycle should cost one source request per folder, not a sign-in per user).
 *
 * Errors leave here tagged with the side they came from (param `side`), so a user's status
 * can say "Throttled by source" or "Throttled by destination", and a connection-wide failure
 * is recorded on the right connection.
 */
export type Side = 'source' | 'destination';

interface Cached<T> {
  readonly version: string;
  readonly value: T;
}
const cache = new WeakMap<Runtime, Map<string, Cached<unknown>>>();

async function context(rt: Runtime, tenantId: string, kind: string): Promise<ConnectorContext> {
  const { gate } = await tenantGate(rt, tenantId);
  return { http: rt.http({ ...httpOptionsFor(kind), gate }), now: () => new Date(rt.now()) };
}

async function cached<T>(rt: Runtime, tenantId: string, row: ConnectionRow, open: () => Promise<T>): Promise<T> {
  let byKey = cache.get(rt);
  if (!byKey) cache.set(rt, (byKey = new Map()));
  const key = `${tenantId}/${row.id}`;
  const hit = byKey.get(key);
  if (hit && hit.version === row.updated_at) return hit.value as T;
  const value = await open();
  byKey.set(key, { version: row.updated_at, value });
  return value;
}

export async function syncSource(rt: Runtime, tenantId: string, row: ConnectionRow): Promise<MailSource> {
  return cached(rt, tenantId, row, async () => tagSide(await openMailSource(rt, tenantId, row, await context(rt, tenantId, row.kind)), 'source'));
}

export async function syncDestination(rt: Runtime, tenantId: string, row: ConnectionRow): Promise<MailDestination> {
  return cached(rt, tenantId, row, async () => tagSide(await openMailDestination(rt, tenantId, row, await context(rt, tenantId, row.kind)), 'destination'));
}

/** The side an error came from, when it came through these connectors. */
export function sideOf(e: AppError): Side | null {
  const side = e.params['side'];
  return side === 'source' || side === 'destination' ? side : null;
}

function tagSide<T extends object>(target: T, side: Side): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const v = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const tag = (e: unknown): never => {
          if (e instanceof AppError && e.params['side'] === undefined) {
            throw new AppError(e.code, { ...e.params, side }, { cause: e, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) });
          }
          throw e;
        };
        try {
          const r = (v as (...a: unknown[]) => unknown).apply(obj, args);
          return r instanceof Promise ? r.catch(tag) : r;
        } catch (e) {
          return tag(e);
        }
      };
    },
  });
}
