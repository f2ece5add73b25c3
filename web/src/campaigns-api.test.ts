import { describe, expect, it } from 'vitest';
import { decisionLabel, params, percent, viaLabel } from './campaigns-api.js';

describe('campaigns client helpers', () => {
  it('builds a query string of the values that are set', () => {
    expect(params({ q: ' ada ', decision: '', cursor: null, limit: 50, kind: undefined })).toBe('?q=ada&limit=50');
    expect(params({})).toBe('');
  });
  it('names a decision the way the report and the lists show it', () => {
    expect(decisionLabel({ decision: null, closedReason: null })).toBe('Open');
    expect(decisionLabel({ decision: 'revoke', closedReason: null })).toBe('Revoked');
    expect(decisionLabel({ decision: 'approve', closedReason: 'no_response' })).toBe('No response (kept)');
    expect(decisionLabel({ decision: null, closedReason: 'removed_elsewhere' })).toBe('Removed elsewhere');
  });
  it('says how an access is held', () => {
    const base = { kind: 'group_membership' as const, resourceId: 'g', resourceName: 'G', privileged: false, since: null };
    expect(viaLabel({ ...base, via: 'direct', chain: [] })).toBe('Direct');
    expect(viaLabel({ ...base, via: 'group', chain: ['Managers', 'Expense Approvers'] })).toBe('Through Managers → Expense Approvers');
  });
  it('rounds progress to a whole percent, 0 with no items', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(0, 0)).toBe(0);
  });
});
