import { describe, expect, it } from 'vitest';
import { AppError, parseStoredError } from './index.js';
import { rememberSecret, scrubText } from './scrub.js';

describe('the one scrubber', () => {
  it('removes secret shapes wherever they appear in provider text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const text = [
      'Authorization: Bearer abc.def-ghi',
      '"authorization":"Basic dXNlcjpwYXNz"',
      'client_secret=s3cr3t~value&grant_type=client_credentials',
      `assertion=${jwt}`,
      `token ${jwt}`,
      'key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----',
      '"private_key": "-----BEGIN RSA PRIVATE KEY-----\\nMIIE',
    ].join(' | ');
    const out = scrubText(text);
    for (const secret of ['abc.def-ghi', 'dXNlcjpwYXNz', 's3cr3t~value', jwt, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'MIIEvQIBADANBg', 'MIIE']) expect(out).not.toContain(secret);
    expect(out).toContain('grant_type=client_credentials');
  });

  it('keeps what is not secret: thumbprints, ids, plain words', () => {
    const text = 'thumbprint 0123456789ABCDEF0123456789ABCDEF01234567 for app 11111111-2222-3333-4444-555555555555: the password is wrong';
    expect(scrubText(text)).toBe(text);
  });

  it('removes the exact value of any secret this process opened, whatever its shape', () => {
    rememberSecret('plain-scim-token-42');
    expect(scrubText('the app said: plain-scim-token-42 is not valid')).toBe('the app said: [redacted] is not valid');
  });

  it('is applied where errors are made and where stored errors are read', () => {
    rememberSecret('another-stored-secret');
    const e = new AppError('provider.bad_response', { provider: 'SCIM app', detail: 'echo: another-stored-secret / Authorization: Bearer zzz' });
    expect(JSON.stringify(e.toJSON())).not.toMatch(/another-stored-secret|zzz/);
    expect(e.message).not.toMatch(/another-stored-secret|zzz/);
    const old = parseStoredError(JSON.stringify({ code: 'provider.bad_response', params: { provider: 'x', detail: 'Bearer leaked-before' } }));
    expect(JSON.stringify(old)).not.toContain('leaked-before');
  });
});
