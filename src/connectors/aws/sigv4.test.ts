import { describe, expect, it } from 'vitest';
import { signRequest } from './sigv4.js';

/**
 * AWS's SigV4 test suite (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html,
 * "aws-sig-v4-test-suite"): the example credentials, region us-east-1, service "service",
 * 2015-08-30T12:36:00Z, host example.amazonaws.com.
 */
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const now = new Date('2015-08-30T12:36:00Z');
const base = { region: 'us-east-1', service: 'service', credentials, now, headers: {}, body: '' };

describe('SigV4 signer against the published test vectors', () => {
  it('get-vanilla', () => {
    const s = signRequest({ ...base, method: 'GET', url: 'https://example.amazonaws.com/' });
    expect(s.canonicalRequest).toBe('GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(s.stringToSign).toBe('AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
    expect(s.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(s.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('get-vanilla-query-order-key-case', () => {
    const s = signRequest({ ...base, method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1' });
    expect(s.signature).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });

  it('post-vanilla', () => {
    const s = signRequest({ ...base, method: 'POST', url: 'https://example.amazonaws.com/' });
    expect(s.signature).toBe('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
  });

  it('post-x-www-form-urlencoded (how the query protocol sends its parameters)', () => {
    const s = signRequest({ ...base, method: 'POST', url: 'https://example.amazonaws.com/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1' });
    expect(s.canonicalRequest.split('\n').pop()).toBe('9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e');
    expect(s.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    );
  });

  it('signs a session token as X-Amz-Security-Token and a non-default port as part of Host', () => {
    const s = signRequest({ ...base, method: 'POST', url: 'http://127.0.0.1:8097/', credentials: { ...credentials, sessionToken: 'tok' } });
    expect(s.headers['x-amz-security-token']).toBe('tok');
    expect(s.canonicalRequest).toContain('host:127.0.0.1:8097\n');
    expect(s.headers['authorization']).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});
