import { describe, expect, it } from 'vitest';
import { chooseReviewer } from './reviewers.js';

const ada = { userId: 'u-ada', email: 'ada@x.test' };
const bob = { userId: 'u-bob', email: 'bob@x.test' };
const fb = { userId: 'u-fb', email: 'fallback@x.test' };

describe('reviewer choice', () => {
  it('takes the candidate (the manager, an owner, a named person)', () => {
    expect(chooseReviewer({ selfEmails: new Set(['carol@x.test']), candidates: [ada], fallback: fb }, 'no manager')).toEqual({ userId: 'u-ada', via: 'mode', why: null });
  });
  it('never the person themself: another candidate, else the fallback', () => {
    expect(chooseReviewer({ selfEmails: new Set(['ada@x.test']), candidates: [ada, bob], fallback: fb }, '').userId).toBe('u-bob');
    const r = chooseReviewer({ selfEmails: new Set(['ada@x.test']), candidates: [ada], fallback: fb }, '');
    expect(r).toMatchObject({ userId: 'u-fb', via: 'fallback' });
    expect(r.why).toContain('themself');
  });
  it('compares emails without case', () => {
    expect(chooseReviewer({ selfEmails: new Set(['ada@x.test']), candidates: [{ userId: 'u-ada', email: 'ADA@x.test' }], fallback: fb }, '').userId).toBe('u-fb');
  });
  it('no candidate: the fallback, with the reason; the fallback reviewing themself: nobody, said why', () => {
    expect(chooseReviewer({ selfEmails: new Set(), candidates: [], fallback: fb }, 'the account has no manager in the directory')).toEqual({ userId: 'u-fb', via: 'fallback', why: 'the account has no manager in the directory' });
    const none = chooseReviewer({ selfEmails: new Set(['fallback@x.test']), candidates: [], fallback: fb }, 'the resource has no owner');
    expect(none.userId).toBeNull();
    expect(none.why).toBe('the resource has no owner, and the fallback reviewer is the person themself');
  });
  it('spreads a person\'s items over named reviewers by a stable number', () => {
    expect(chooseReviewer({ selfEmails: new Set(), candidates: [ada, bob], fallback: fb, spread: 3 }, '').userId).toBe('u-bob');
    expect(chooseReviewer({ selfEmails: new Set(), candidates: [ada, bob], fallback: fb, spread: 4 }, '').userId).toBe('u-ada');
  });
});
