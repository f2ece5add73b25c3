/**
 * Runs periodic tasks (due cycles, pruning) on a timer. Each task is safe to run from many
 * processes at once (the tasks use compare-and-set in the database), so every process may
 * run a scheduler; there is no leader to elect.
 */
export interface Scheduler {
  stop(): void;
  /** Runs every task once now (tests and `sync run`). */
  tick(): Promise<void>;
}

export function startScheduler(tasks: readonly (() => Promise<unknown>)[], tickMs = 5_000, onError: (e: unknown) => void = () => {}): Scheduler {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  async function tick(): Promise<void> {
    for (const task of tasks) {
      try {
        await task();
      } catch (e) {
        onError(e);
      }
    }
  }
  function loop(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(loop);
    }, tickMs);
  }
  void tick().finally(loop);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    tick,
  };
}
