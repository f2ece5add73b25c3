import { describe, expect, it } from 'vitest';
import { runPool } from './pool.js';

describe('bounded concurrency pool', () => {
  it('never runs more than `width` at once and keeps input order', async () => {
    let active = 0;
    let peak = 0;
    const r = await runPool([5, 1, 4, 2, 3, 1, 2], 3, () => false, async (ms) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((res) => setTimeout(res, ms));
      active -= 1;
      return ms * 10;
    });
    expect(peak).toBe(3);
    expect(r.complete).toBe(true);
    expect(r.results).toEqual([50, 10, 40, 20, 30, 10, 20]);
  });

  it('stops starting work when asked, and reports what finished', async () => {
    let ran = 0;
    const r = await runPool([1, 2, 3, 4, 5, 6], 2, () => ran >= 3, async (n) => {
      ran += 1;
      return n;
    });
    expect(r.complete).toBe(false);
    expect(r.failed).toBe(false);
    expect(r.results.filter((x) => x !== undefined)).toEqual([1, 2, 3]);
  });

  it('waits for work in flight after a failure and returns the first error', async () => {
    const done: number[] = [];
    const r = await runPool([1, 2, 3, 4], 2, () => false, async (n) => {
      if (n === 1) throw new Error('boom');
      await new Promise((res) => setTimeout(res, 10));
      done.push(n);
      return n;
    });
    expect(r.failed).toBe(true);
    expect(String(r.error)).toContain('boom');
    expect(done).toEqual([2]);
    expect(r.results[1]).toBe(2);
  });
});
