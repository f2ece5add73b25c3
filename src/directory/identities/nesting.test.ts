import { describe, expect, it } from 'vitest';
import { walkGroups, type GroupEdge } from './nesting.js';

const edges = (pairs: [string, string][]): ((id: string) => GroupEdge[]) => (id) => pairs.filter(([, m]) => m === id).map(([g, m]) => ({ groupId: g, memberId: m, role: g === 'eng' ? 'owner' : null }));

describe('walkGroups', () => {
  it('finds direct and nested groups with their paths, each once, even through a cycle', () => {
    const parents = edges([['eng', 'ann'], ['staff', 'ann'], ['apollo', 'eng'], ['all', 'apollo'], ['eng', 'all'], ['all', 'staff']]);
    expect(walkGroups('ann', parents)).toEqual([
      { groupId: 'eng', via: 'direct', path: ['eng'], role: 'owner' },
      { groupId: 'staff', via: 'direct', path: ['staff'], role: null },
      { groupId: 'apollo', via: 'nested', path: ['eng', 'apollo'], role: null },
      { groupId: 'all', via: 'nested', path: ['staff', 'all'], role: null },
    ]);
  });

  it('an account in no group is in no group', () => {
    expect(walkGroups('bob', edges([['eng', 'ann']]))).toEqual([]);
  });
});
