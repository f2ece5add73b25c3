import { describe, expect, it } from 'vitest';
import type { RateCost, RateGate } from '../../connectors/sdk/index.js';
import { reservingGate } from './reserving-gate.js';

/** A gate that records what reached it (the shared, database-backed gate in production). */
function recordingGate() {
  const acquired: RateCost[][] = [];
  const penalized: RateCost[][] = [];
  const gate: RateGate = {
    async acquire(costs) {
      acquired.push([...costs]);
    },
    penalize(costs) {
      penalized.push([...costs]);
    },
  };
  return { gate, acquired, penalized };
}

describe('reservingGate', () => {
  it('reserves a block on the shared gate and serves the next requests from it', async () => {
    const inner = recordingGate();
    const g = reservingGate(inner.gate, () => 10);
    for (let i = 0; i < 25; i++) await g.acquire([{ key: 'k', cost: 1 }]);
    // 25 units: blocks of 10 reserved three times, never a unit more than a block ahead.
    expect(inner.acquired).toEqual([[{ key: 'k', cost: 10 }], [{ key: 'k', cost: 10 }], [{ key: 'k', cost: 10 }]]);
  });
  it('a request larger than a block reserves what it needs; keys are independent', async () => {
    const inner = recordingGate();
    const g = reservingGate(inner.gate, (k) => (k === 'a' ? 4 : 100));
    await g.acquire([{ key: 'a', cost: 7 }, { key: 'b', cost: 1 }]);
    await g.acquire([{ key: 'b', cost: 99 }]);
    expect(inner.acquired).toEqual([[{ key: 'a', cost: 7 }, { key: 'b', cost: 100 }]]);
  });
  it('a provider throttle drops the reserve and reaches the shared gate', async () => {
    const inner = recordingGate();
    const g = reservingGate(inner.gate, () => 10);
    await g.acquire([{ key: 'k', cost: 1 }]);
    g.penalize([{ key: 'k', cost: 1 }], Date.now() + 1000);
    await g.acquire([{ key: 'k', cost: 1 }]);
    expect(inner.penalized).toEqual([[{ key: 'k', cost: 1 }]]);
    expect(inner.acquired.length).toBe(2);
  });
  it('requests in flight together share one reservation instead of reserving a block each', async () => {
    // A slow shared gate (a database transaction, a window that makes it wait): 16 requests
    // arrive while the first block is being reserved, as in a campaign apply after a 429.
    const acquired: RateCost[][] = [];
    const slow: RateGate = {
      async acquire(costs) {
        acquired.push([...costs]);
        await new Promise((r) => setTimeout(r, 20));
      },
      penalize() {},
    };
    const g = reservingGate(slow, () => 10);
    await Promise.all(Array.from({ length: 16 }, () => g.acquire([{ key: 'k', cost: 1 }])));
    expect(acquired).toEqual([[{ key: 'k', cost: 10 }], [{ key: 'k', cost: 10 }]]);
    // After a throttle, the same: one block for the whole burst of retries.
    g.penalize([{ key: 'k', cost: 1 }], Date.now());
    await Promise.all(Array.from({ length: 8 }, () => g.acquire([{ key: 'k', cost: 1 }])));
    expect(acquired.length).toBe(3);
  });
});
