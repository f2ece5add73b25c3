import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('scrubs provider text in a logged error (message and stack), and censors secret fields', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('info', sink);
    log.error({ err: new Error('ListUsers: AccessDenied: echo Authorization: Bearer tok-123456789'), clientSecret: 'plain-secret-value' }, 'provider call failed');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(text).toContain('provider call failed');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('tok-123456789');
    expect(text).not.toContain('plain-secret-value');
  });
});
