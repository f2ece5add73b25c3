import type { StoredMessage } from './world.js';

/**
 * Gmail's search index lags behind the mailbox. A message just imported is in messages.list
 * by label and in history.list at once, but a search (`q=`, e.g. `rfc822msgid:`) finds it only
 * once it is indexed — "seconds, sometimes minutes" (issue 10, finding 9). The sandbox models
 * this with one configurable lag (`searchIndexLagMs`, POST /google/quotas): a message added
 * through the API is invisible to searches until that much sandbox time has passed since it
 * was added (the lag in force at search time counts, so setting it to 0 lets the index catch up).
 * Anything that must be exact right after a write (resolving an import left in doubt) must
 * therefore not rely on search.
 */
const addedAt = new WeakMap<object, number>();

/** Called when the API adds a message. */
export function indexLater(m: StoredMessage, nowMs: number): void {
  addedAt.set(m, nowMs);
}

/** Whether a search at `nowMs`, with the index `lagMs` behind, can see the message. */
export function isIndexed(m: StoredMessage, nowMs: number, lagMs: number): boolean {
  const at = addedAt.get(m);
  return at === undefined || nowMs >= at + lagMs;
}
