import { describe, expect, it } from 'vitest';
import { exclusionOf, scopeKey } from './scope.js';
import { defaultDirectoryScope, type DirectoryAccount } from '../connectors/sdk/index.js';

const base: DirectoryAccount = {
  type: 'account', externalId: 'u1', accountType: 'user', userName: 'ada@x.test', email: 'ada@x.test', displayName: 'Ada',
  givenName: null, familyName: null, employeeId: null, enabled: true, external: false, createdAt: null, lastSignInAt: null, attributes: {},
};

describe('scope', () => {
  it('keeps members and leaves out guests, external identities and disabled accounts by default', () => {
    expect(exclusionOf(base, defaultDirectoryScope)).toBeNull();
    expect(exclusionOf({ ...base, accountType: 'guest' }, defaultDirectoryScope)).toBe('guest');
    expect(exclusionOf({ ...base, external: true }, defaultDirectoryScope)).toBe('external');
    expect(exclusionOf({ ...base, enabled: false }, defaultDirectoryScope)).toBe('disabled');
  });
  it('each switch brings its accounts in, and names the first reason that still applies', () => {
    const guestsIn = { ...defaultDirectoryScope, includeGuests: true };
    expect(exclusionOf({ ...base, accountType: 'guest' }, guestsIn)).toBeNull();
    expect(exclusionOf({ ...base, accountType: 'guest', enabled: false }, guestsIn)).toBe('disabled');
    expect(exclusionOf({ ...base, enabled: false }, { ...defaultDirectoryScope, includeDisabled: true })).toBeNull();
    expect(exclusionOf({ ...base, external: true }, { ...defaultDirectoryScope, includeExternal: true })).toBeNull();
  });
  it('the scope key differs for every combination of switches', () => {
    const keys = new Set<string>();
    for (const g of [false, true]) for (const x of [false, true]) for (const d of [false, true]) keys.add(scopeKey({ includeGuests: g, includeExternal: x, includeDisabled: d }));
    expect(keys.size).toBe(8);
  });
});
