import { describe, expect, it } from 'vitest';
import { createGenerated, LARGE_CUSTOMER } from './generated.js';

/** The formula behind generated customers: the arithmetic the stores rely on must hold. */
describe('generated customer', () => {
  const gen = createGenerated(42, 'mid.test', { users: 5_000, groups: 400, memberships: 40_000 });

  it('orders users and groups by email exactly as by index, and finds them back by email and id', () => {
    for (let i = 1; i < gen.users.count; i++) expect(gen.users.emailAt(i - 1) < gen.users.emailAt(i)).toBe(true);
    for (let g = 1; g < gen.groups.count; g++) expect(gen.groups.emailAt(g - 1) < gen.groups.emailAt(g)).toBe(true);
    for (const i of [0, 1, 77, 4_999]) {
      expect(gen.users.indexOfEmail(gen.users.emailAt(i))).toBe(i);
      expect(gen.users.indexOfId(gen.users.idAt(i))).toBe(i);
      expect(gen.users.at(i).primaryEmail).toBe(gen.users.emailAt(i));
      expect(gen.users.after(gen.users.emailAt(i))).toBe(i + 1);
    }
    for (const g of [0, 5, 399]) {
      expect(gen.groups.indexOfEmail(gen.groups.emailAt(g))).toBe(g);
      expect(gen.groups.indexOfId(gen.groups.idAt(g))).toBe(g);
    }
    expect(gen.users.indexOfEmail('nobody@mid.test')).toBe(-1);
    expect(gen.users.indexOfId('100000000000000000000')).toBe(-1);
  });

  it('holds exactly the requested memberships, with nested groups, outsiders and the customer', () => {
    let total = 0;
    let inconsistent = 0;
    const kinds = new Map<string, number>();
    for (let g = 0; g < gen.groups.count; g++) {
      const n = gen.groups.memberCount(g);
      total += n;
      const seen = new Set<string>();
      for (let p = 0; p < n; p++) {
        const m = gen.groups.memberAt(g, p);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        const key = `${m.kind}:${'index' in m ? m.index : ''}`;
        if (seen.has(key)) inconsistent++;
        seen.add(key);
        if (m.kind === 'user' && gen.groups.positionOfUser(g, m.index) !== p) inconsistent++;
        if (m.kind === 'group' && (m.index <= g || gen.groups.positionOfGroup(g, m.index) !== p)) inconsistent++;
        if (m.kind === 'external' && gen.groups.positionOfExternal(g, m.index) !== p) inconsistent++;
      }
    }
    expect(inconsistent).toBe(0);
    expect(total).toBe(40_000);
    expect(gen.size.memberships).toBe(40_000);
    expect(kinds.get('customer')).toBe(1);
    expect(kinds.get('group')).toBeGreaterThan(0);
    expect(kinds.get('external')).toBeGreaterThan(0);
  });

  it('answers "which groups hold this user" consistently with the member lists', () => {
    let inconsistent = 0;
    for (const i of [0, 3, 1_234, 4_999]) {
      const holding = gen.groups.groupsOfUser(i);
      for (let g = 0; g < gen.groups.count; g++) if (holding.includes(g) !== gen.groups.positionOfUser(g, i) >= 0) inconsistent++;
    }
    expect(inconsistent).toBe(0);
    for (let h = 1; h < 60; h++) {
      for (const g of gen.groups.groupsOfGroup(h)) expect(gen.groups.positionOfGroup(g, h)).toBeGreaterThanOrEqual(0);
    }
  });

  it('is deterministic from the seed', () => {
    const again = createGenerated(42, 'mid.test', { users: 5_000, groups: 400, memberships: 40_000 });
    expect(again.users.at(123)).toEqual(gen.users.at(123));
    expect(again.groups.memberAt(7, 3)).toEqual(gen.groups.memberAt(7, 3));
    expect(createGenerated(43, 'mid.test', { users: 5_000, groups: 400, memberships: 40_000 }).users.idAt(5)).not.toBe(gen.users.idAt(5));
  });

  it('makes the large customer (100,000 users, 10,000 groups, 1,000,000 memberships) without storing it', () => {
    const large = createGenerated(7, 'bigcorp.test', LARGE_CUSTOMER);
    expect(large.size).toEqual(LARGE_CUSTOMER);
    expect(large.users.count).toBe(100_000);
    expect(large.groups.count).toBe(10_000);
    let total = 0;
    for (let g = 0; g < large.groups.count; g++) total += large.groups.memberCount(g);
    expect(total).toBe(1_000_000);
    const last = large.users.emailAt(99_999);
    expect(large.users.indexOfEmail(last)).toBe(99_999);
    const i = 54_321;
    for (const g of large.groups.groupsOfUser(i)) expect(large.groups.positionOfUser(g, i)).toBeGreaterThanOrEqual(0);
  });
});
