import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook.js';

describe('webhook signatures', () => {
  const secret = 'whsec-test-0123456789abcdef';
  const body = JSON.stringify({ event: 'incident.opened', title: 'x' });

  it('is HMAC-SHA256 over "timestamp.body", as receivers are told to compute it', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1700000000, body)).toBe(`v1=${expected}`);
  });

  it('verifies, and refuses a changed body, another secret or an old timestamp', () => {
    const sig = signWebhook(secret, 1700000000, body);
    expect(verifyWebhook(secret, { signature: sig, timestamp: '1700000000' }, body, 1700000100)).toBe(true);
    expect(verifyWebhook(secret, { signature: sig, timestamp: '1700000000' }, body + ' ', 1700000100)).toBe(false);
    expect(verifyWebhook('another-secret-0123456789', { signature: sig, timestamp: '1700000000' }, body, 1700000100)).toBe(false);
    expect(verifyWebhook(secret, { signature: sig, timestamp: '1700000000' }, body, 1700000000 + 301)).toBe(false);
    expect(verifyWebhook(secret, { signature: undefined, timestamp: '1700000000' }, body, 1700000000)).toBe(false);
  });
});
