import { describe, expect, it } from 'vitest';
import { jain } from '../bench/support/measure.js';

describe("Jain's fairness index", () => {
  it('is 1 for equal shares and 1/n when one user takes everything', () => {
    expect(jain([5, 5, 5, 5])).toBe(1);
    expect(jain([10, 0, 0, 0])).toBe(0.25);
    expect(jain([4, 5, 6])).toBeGreaterThan(0.95);
  });
});
