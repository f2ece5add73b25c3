import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is acting in the current request. The API sets it once, after authentication, for the
 * whole handling of the request; the audit writer reads it so every entry recorded while
 * answering names the person (or token) behind it, their address and user agent, without
 * threading an actor through every service function.
 */
export interface ActingContext {
  /** As written in the audit log: 'user:ada@example.com' or 'token:ci-deploy (ada@example.com)'. */
  readonly actor: string;
  readonly address: string | null;
  readonly userAgent: string | null;
}

const storage = new AsyncLocalStorage<ActingContext>();

export function actingContext(): ActingContext | undefined {
  return storage.getStore();
}

export function runActing<T>(ctx: ActingContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
