import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Requests made inside `withPriority` go first at the shared rate budgets (rate-budget.ts),
 * until `endPriority` says the work has moved. It is a context rather than a parameter because
 * the requests are made deep inside the connectors (a Gmail search, a messages.get), which
 * should not know why they are asked for.
 *
 * Used for work a crashed worker left behind: an item in doubt, and a taken-over run until its
 * first write. With the project quota saturated, every request otherwise waits for its fair
 * share of each second's room behind every running job, and a run's first import comes only
 * after several such waits (about 10 s measured with 32 jobs) — on top of the lease the user
 * already lost to the crash.
 */
interface Lane {
  active: boolean;
  readonly parent: Lane | undefined;
}

const lanes = new AsyncLocalStorage<Lane>();

export function withPriority<T>(fn: () => Promise<T>): Promise<T> {
  return lanes.run({ active: true, parent: lanes.getStore() }, fn);
}

export function hasPriority(): boolean {
  return lanes.getStore()?.active === true;
}

/** The work has moved (a write went through): from now on it, and the work it is part of, waits its turn. */
export function endPriority(): void {
  for (let l = lanes.getStore(); l; l = l.parent) l.active = false;
}
