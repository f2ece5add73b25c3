import { describe, expect, it } from 'vitest';
import { endPriority, hasPriority, withPriority } from './rate-priority.js';

describe('rate priority lanes', () => {
  it('holds inside withPriority only, across awaits', async () => {
    expect(hasPriority()).toBe(false);
    await withPriority(async () => {
      expect(hasPriority()).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      expect(hasPriority()).toBe(true);
    });
    expect(hasPriority()).toBe(false);
  });

  it('endPriority ends the lane it is called in and those around it, not its siblings', async () => {
    const seen: Record<string, boolean> = {};
    await withPriority(async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // Two items of one taken-over run, side by side, each in its own lane.
      const first = withPriority(async () => {
        endPriority(); // its write went through
        seen['first after its write'] = hasPriority();
        release();
      });
      const second = withPriority(async () => {
        await gate;
        seen['second, still resolving'] = hasPriority();
      });
      await Promise.all([first, second]);
      seen['the run after the first write'] = hasPriority();
    });
    expect(seen).toEqual({ 'first after its write': false, 'second, still resolving': true, 'the run after the first write': false });
  });
});
