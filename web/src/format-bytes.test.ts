import { describe, expect, it } from 'vitest';
import { formatBytes } from './format.js';

describe('byte sizes', () => {
  it('in the units people read', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
