import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.js';
import { selfSignedCertificate, toPfxBase64 } from '../../sandbox/keys.js';
import { openPfx } from './pfx.js';

/** Finding 8 of issue 10: a damaged PFX is reported as damaged, not as a wrong password. */
const cert = selfSignedCertificate('pfx-test', new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
const pfx = toPfxBase64(cert, 'right-password');

function detailOf(pfxBase64: string, password: string): string {
  try {
    openPfx(pfxBase64, password);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('m365.pfx_unreadable');
    return String((e as AppError).params['detail']);
  }
  throw new Error('expected the PFX to be refused');
}

/** The PFX with one byte flipped at `at` (a fraction of its length). */
function flipped(at: number): string {
  const b = Buffer.from(pfx, 'base64');
  const i = Math.floor(b.length * at);
  b[i] = b[i]! ^ 0xff;
  return b.toString('base64');
}

describe('opening a PFX', () => {
  it('opens with the right password, and names a wrong one', () => {
    expect(openPfx(pfx, 'right-password').subject).toContain('pfx-test');
    expect(detailOf(pfx, 'wrong-password')).toBe('the password is wrong');
  });

  it('a damaged file is reported as damaged, wherever the damage is', () => {
    // Near the end: the MAC or the encrypted certificates; the key still opens with the password.
    for (const at of [0.97, 0.9, 0.8]) expect(detailOf(flipped(at), 'right-password'), `flip at ${at}`).toMatch(/damaged/);
    // Cut short: the structure itself is broken.
    expect(detailOf(Buffer.from(pfx, 'base64').subarray(0, 300).toString('base64'), 'right-password')).toMatch(/damaged/);
    // Something that never was a PFX.
    expect(detailOf(Buffer.from('hello, this is not a certificate at all, just text').toString('base64'), 'x')).toBe('the file is not a PKCS#12 (.pfx) file');
  });
});
