import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './records.js';

describe('page fingerprint', () => {
  const page = [
    { type: 'account', externalId: 'u1', displayName: 'Ada', enabled: true, attributes: { department: 'R&D' } },
    { type: 'membership', groupId: 'g1', memberId: 'u1', memberType: 'account', role: null },
  ];
  it('is stable for equal content and changes with any value, key, order or length', () => {
    const f = fingerprintOf(page);
    expect(fingerprintOf(JSON.parse(JSON.stringify(page)))).toBe(f);
    expect(fingerprintOf([{ ...page[0], enabled: false }, page[1]])).not.toBe(f);
    expect(fingerprintOf([{ ...page[0], attributes: { department: 'R&E' } }, page[1]])).not.toBe(f);
    expect(fingerprintOf([page[1], page[0]])).not.toBe(f);
    expect(fingerprintOf([page[0]])).not.toBe(f);
    expect(fingerprintOf([{ ...page[1], role: 'MEMBER' }])).not.toBe(fingerprintOf([page[1]]));
    // Field boundaries count: 'ab'+'c' differs from 'a'+'bc'.
    expect(fingerprintOf([{ x: 'ab', y: 'c' }])).not.toBe(fingerprintOf([{ x: 'a', y: 'bc' }]));
    expect(fingerprintOf([{ x: null }])).not.toBe(fingerprintOf([{ x: 'null' }]));
  });
  it('spreads 100,000 similar pages without a collision', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(fingerprintOf([{ type: 'membership', groupId: `g${i >> 7}`, memberId: `u${i}`, memberType: 'account', role: null }]));
    expect(seen.size).toBe(100_000);
  });
});
