/**
 * PostgreSQL ends one of two transactions that wait for each other's row locks with
 * "deadlock detected" (SQLSTATE 40P01), and a serializable one that lost a race with 40001;
 * its documentation's answer is to run the transaction again. Here for the transactions an
 * admin starts and waits for (deleting a connection while a correlation job rewrites the same
 * identities): a job that loses such a race is retried by the queue anyway. The function must
 * be the whole transaction, so a retry starts from nothing it did.
 */
const RETRIED = new Set(['40P01', '40001']);

export function isRetryableConflict(e: unknown): boolean {
  return typeof e === 'object' && e !== null && RETRIED.has(String((e as { code?: unknown }).code));
}

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
