import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, outboundUrl } from './url-policy.js';

describe('outbound URL policy (endpoints, SCIM base URLs, webhooks)', () => {
  it('accepts https anywhere and http on loopback only', () => {
    for (const ok of ['https://graph.microsoft.com', 'https://app.example.com/scim/v2', 'http://127.0.0.1:8080/x', 'http://localhost:3000', 'http://[::1]:9/']) {
      expect(checkOutboundUrl(ok).ok, ok).toBe(true);
    }
  });

  it('refuses script and file URLs, plain http to other hosts, and embedded credentials', () => {
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/plain,x', 'ftp://example.com', 'http://example.com', 'http://10.0.0.5/', 'https://user:pw@example.com', 'not a url']) {
      expect(checkOutboundUrl(bad).ok, bad).toBe(false);
    }
  });

  it('refuses link-local and metadata addresses in every spelling', () => {
    for (const bad of [
      'https://169.254.169.254/latest/meta-data/',
      'http://169.254.169.254/',
      'https://169.254.0.1',
      'https://2852039166/', // 169.254.169.254 as one number
      'https://0xa9.0xfe.0xa9.0xfe/',
      'https://[fe80::1]/',
      'https://[febf::1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://[fd00:ec2::254]/',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://METADATA.GOOGLE.INTERNAL./',
    ]) {
      const v = checkOutboundUrl(bad);
      expect(v.ok, bad).toBe(false);
    }
    const v = checkOutboundUrl('https://169.254.169.254/');
    expect(v.ok ? '' : v.reason).toContain('link-local');
    expect(checkOutboundUrl('https://[fec0::1]/').ok).toBe(true);
  });

  it('as a zod schema, names the reason', () => {
    const r = outboundUrl().safeParse('javascript:alert(1)');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('javascript:');
  });
});
