/**
 * Runs `fn` over `items` with at most `width` in flight, in order. Stops starting new work
 * when `shouldStop()` turns true or a call fails, and always waits for what is in flight, so
 * the caller can record every finished result before it rethrows or yields.
 */
export interface PoolResult<R> {
  /** Results of the calls that finished, in input order (undefined for calls not run). */
  readonly results: readonly (R | undefined)[];
  /** True when every item ran and none failed. */
  readonly complete: boolean;
  /** The first failure, if any. */
  readonly error: unknown;
  readonly failed: boolean;
}

export async function runPool<T, R>(items: readonly T[], width: number, shouldStop: () => boolean, fn: (item: T, index: number) => Promise<R>): Promise<PoolResult<R>> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  let next = 0;
  let started = 0;
  let error: unknown;
  let failed = false;
  const lane = async (): Promise<void> => {
    for (;;) {
      if (failed || next >= items.length || shouldStop()) return;
      const i = next++;
      started += 1;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        if (!failed) {
          failed = true;
          error = e;
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, lane));
  return { results, complete: !failed && started === items.length, error, failed };
}
