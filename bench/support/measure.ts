/** Jain's fairness index of per-user throughputs: 1 = perfectly even, 1/n = one user takes all. */
export function jain(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return 1;
  const sum = xs.reduce((a, x) => a + x, 0);
  const sq = xs.reduce((a, x) => a + x * x, 0);
  return sq === 0 ? 1 : (sum * sum) / (n * sq);
}

export function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
