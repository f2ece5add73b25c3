import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.js';
import { checkIndexPage, checkNoDuplicates, PassTracker } from './paging.js';
import type { DirectoryRecord } from './directory.js';

const account = (id: string): DirectoryRecord => ({ type: 'account', externalId: id, accountType: 'user', userName: id, email: null, displayName: id, givenName: null, familyName: null, employeeId: null, enabled: true, external: false, createdAt: null, lastSignInAt: null, attributes: {} });
const codeOf = (f: () => void): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError';
  }
};

/** The shared paging checker on its own: each broken-paging shape ends as its catalogue code, a healthy pass as nothing. */
describe('paging checker', () => {
  it('a pass that advances, within its bounds, passes; the same cursor again or a loop back does not', () => {
    const t = new PassTracker('P', 'users');
    t.accept('users page 1', 10, null, 'a');
    t.accept('users page 2', 10, 'a', 'b');
    t.accept('users page 3', 10, 'b', null);
    expect(codeOf(() => new PassTracker('P', 'users').accept('users page 2', 10, 'a', 'a'))).toBe('directory.paging_inconsistent');
    const loop = new PassTracker('P', 'users');
    loop.accept('users page 1', 10, null, 'a');
    loop.accept('users page 2', 10, 'a', 'b');
    expect(codeOf(() => loop.accept('users page 3', 10, 'b', 'a'))).toBe('directory.paging_inconsistent');
  });

  it('pages and records past the bounds end as directory.pass_too_long', () => {
    const t = new PassTracker('P', 'users', { maxPagesPerStream: 2, maxRecordsPerPage: 5, maxDeclaredTotal: 100 });
    t.accept('users page 1', 5, null, 'a');
    t.accept('users page 2', 5, 'a', 'b');
    expect(codeOf(() => t.accept('users page 3', 5, 'b', 'c'))).toBe('directory.pass_too_long');
    expect(codeOf(() => new PassTracker('P', 'users', { maxPagesPerStream: 9, maxRecordsPerPage: 5, maxDeclaredTotal: 100 }).accept('users page 1', 6, null, null))).toBe('directory.pass_too_long');
  });

  it('duplicate ids on one page; SCIM startIndex, totalResults and the declared ceiling', () => {
    expect(codeOf(() => checkNoDuplicates('P', 'p1', [account('a'), account('b')]))).toBeNull();
    expect(codeOf(() => checkNoDuplicates('P', 'p1', [account('a'), account('a')]))).toBe('directory.paging_inconsistent');
    expect(codeOf(() => checkIndexPage('P', 'p', { askedStart: 11, answeredStart: 11, received: 10, totalResults: 25 }))).toBeNull();
    expect(codeOf(() => checkIndexPage('P', 'p', { askedStart: 11, answeredStart: 1, received: 10, totalResults: 25 }))).toBe('directory.paging_inconsistent');
    expect(codeOf(() => checkIndexPage('P', 'p', { askedStart: 21, answeredStart: 21, received: 10, totalResults: 25 }))).toBe('directory.paging_inconsistent');
    expect(codeOf(() => checkIndexPage('P', 'p', { askedStart: 1, answeredStart: null, received: 10, totalResults: 1e12 }))).toBe('directory.pass_too_long');
    // A server that ignores count answers everything at once: bounded by its total, not refused.
    expect(codeOf(() => checkIndexPage('P', 'p', { askedStart: 1, answeredStart: 1, received: 60, totalResults: 60 }))).toBeNull();
  });
});
