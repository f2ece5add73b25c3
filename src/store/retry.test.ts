import { describe, expect, it } from 'vitest';
import { isRetryableConflict, retryOnConflict } from './retry.js';
import { retryDecision, toAppError } from '../errors/index.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('retryOnConflict', () => {
  it('runs the transaction again after a deadlock or a serialization failure, and returns its result', async () => {
    const failures = [pgError('40P01', 'deadlock detected'), pgError('40001', 'could not serialize access')];
    let runs = 0;
    const out = await retryOnConflict(async () => {
      runs += 1;
      const f = failures.shift();
      if (f) throw f;
      return 'done';
    }, 4, async () => {});
    expect({ out, runs }).toEqual({ out: 'done', runs: 3 });
  });

  it('gives up after its tries, and never retries other errors', async () => {
    let runs = 0;
    await expect(retryOnConflict(async () => { runs += 1; throw pgError('40P01', 'deadlock detected'); }, 3, async () => {})).rejects.toThrow('deadlock detected');
    expect(runs).toBe(3);
    runs = 0;
    await expect(retryOnConflict(async () => { runs += 1; throw pgError('23505', 'duplicate key'); }, 3, async () => {})).rejects.toThrow('duplicate key');
    expect(runs).toBe(1);
    expect(isRetryableConflict(new Error('plain'))).toBe(false);
  });

  it('a conflict that outlasts the tries is the catalogue\'s store.conflict (409, "try again"), which a job retries soon', async () => {
    const err = toAppError(await retryOnConflict(async () => { throw pgError('40P01', 'deadlock detected'); }, 2, async () => {}).catch((e: unknown) => e));
    expect({ code: err.code, detail: err.params['detail'] }).toEqual({ code: 'store.conflict', detail: 'deadlock detected' });
    expect(retryDecision(err.code, 1, undefined, { random: () => 0.5 })).toEqual({ retry: true, delayMs: 500 });
    expect(toAppError(pgError('23505', 'duplicate key')).code).toBe('internal.unexpected');
  });
});
