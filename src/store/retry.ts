import { isDatabaseConflict } from '../errors/app-error.js';

/**
 * Runs a transaction again when PostgreSQL ended it as a deadlock (40P01) or a serialization
 * failure (40001), its documentation's answer. Here for the transactions an admin starts and
 * waits for and that meet jobs on the same rows (deleting a connection while a correlation job
 * rewrites its identities, a type override, a reviewer's bulk decision while the campaign's
 * revocations are being applied): a job that loses such a race is retried by the queue anyway
 * (`store.conflict` retries with backoff), and a request that still loses after the tries
 * answers `store.conflict` (409, "try again") instead of an unexpected error. The function
 * must be the whole transaction, so a retry starts from nothing it did.
 */
export const isRetryableConflict = isDatabaseConflict;

export async function retryOnConflict<T>(transaction: () => Promise<T>, tries = 4, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (e) {
      if (attempt >= tries || !isRetryableConflict(e)) throw e;
      // A short, jittered pause: the other transaction usually commits within milliseconds.
      await sleep(25 * attempt + Math.floor(Math.random() * 25));
    }
  }
}
