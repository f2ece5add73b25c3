import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp } from './support/app.js';
import { cliRunner } from './support/cli.js';
import { googleBody, googleKeyCredential, m365Body, scimBody } from './support/connections.js';

/**
 * Finding 8 of issue 10 (the request layer): every refusal is a catalogue error in our shape,
 * never Fastify's own answer or a 500 from a ZodError; names refuse control characters, and
 * the CLI never prints a control sequence raw.
 */
describe('request limits answer catalogue errors', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  const cli = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, LOG_LEVEL: 'silent' }));
  // Ours: { error: { code, title, message, resolution, … } }; Fastify's own: { statusCode, code: 'FST_…', error, message }.
  const catalogueShape = (body: any) => {
    expect(body.error).toMatchObject({ code: expect.stringMatching(/^[a-z]+\.[a-z_]+$/), title: expect.any(String), message: expect.any(String), resolution: expect.any(String) });
    expect(body.statusCode).toBeUndefined();
  };

  beforeAll(async () => {
    sandbox = await startSandbox({});
    app = await bootApp({});
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
  });

  it('retry-failed with 10,001 ids is a 400 request.invalid, not a 500', async () => {
    const ids = Array.from({ length: 10_001 }, (_, i) => `item-${i}`);
    const r = await app.api('/sync/users/nobody/retry-failed', { method: 'POST', body: JSON.stringify({ sourceItemIds: ids }) });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe('request.invalid');
    expect(r.body.error.message).toContain('sourceItemIds');
    catalogueShape(r.body);
  });

  it('a path parameter over 100 characters is a 414 in the catalogue\'s shape', async () => {
    const r = await app.api(`/connections/${'x'.repeat(101)}`);
    expect(r.status).toBe(414);
    expect(r.body.error.code).toBe('request.uri_too_long');
    catalogueShape(r.body);
  });

  it('a body over 10 MB is a 413 request.too_large, not a 400', async () => {
    const big = JSON.stringify({ name: 'x', padding: 'y'.repeat(10 * 1024 * 1024 + 10) });
    const r = await app.api('/connections', { method: 'POST', body: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('request.too_large');
    expect(r.body.error.message).toContain(String(10 * 1024 * 1024));
    catalogueShape(r.body);
  });

  it('names refuse control characters; the CLI escapes the ones already stored', async () => {
    const esc = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox, { name: 'Evil\u001b]0;pwned\u0007\u001b[2J' })) });
    expect(esc.status).toBe(400);
    expect(esc.body.error.message).toContain('control characters');
    const hook = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'A\rB', config: { url: 'https://hooks.example.com/x' }, secret: 'a-signing-secret-of-32-characters' }) });
    expect(hook.status).toBe(400);
    // A name stored before the rule (or provider text): printed with its control characters escaped.
    const ok = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox, { name: 'Plain' })) });
    expect(ok.status, ok.text).toBe(201);
    await app.rt.store.db.updateTable('connections').set({ name: 'Old\u001b[2Jname\rX' }).where('id', '=', ok.body.id).execute();
    for (const out of [await cli.run('connections', 'list'), await cli.run('connections', 'show', ok.body.id)]) {
      expect(out).not.toMatch(/[\u001b\r]/);
      expect(out).toContain('Old\\x1b[2Jname\\x0dX');
    }
  });
});

describe('credential files are read at save (issue 10, finding 8)', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  beforeAll(async () => {
    sandbox = await startSandbox({});
    app = await bootApp({});
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
  });

  it('a Google key file whose PEM is garbage is refused when saved, not at the first sign-in', async () => {
    const key = JSON.parse(sandbox.demo.google.serviceAccountKeyJson) as Record<string, string>;
    const garbage = { ...key, private_key: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n' };
    const r = await app.api('/connections', { method: 'POST', body: JSON.stringify(googleBody(sandbox, { name: 'Garbage key', credential: googleKeyCredential(sandbox, { keyJson: JSON.stringify(garbage) }) })) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('credential.key_file_invalid');
    expect(r.body.error.message).toContain('private_key is not a readable PEM private key');
    const good = await app.api('/connections', { method: 'POST', body: JSON.stringify(googleBody(sandbox, { name: 'Good key', credential: googleKeyCredential(sandbox) })) });
    expect(good.status, good.text).toBe(201);
  });

  it('a damaged PFX is refused as damaged, not as a wrong password', async () => {
    const b = Buffer.from(sandbox.demo.microsoft.pfxBase64, 'base64');
    b[Math.floor(b.length * 0.97)]! ^= 0xff;
    const r = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Damaged', credential: { type: 'certificate', pfxBase64: b.toString('base64'), pfxPassword: sandbox.demo.microsoft.pfxPassword } })) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('m365.pfx_unreadable');
    expect(r.body.error.message).toContain('damaged');
    expect(r.body.error.message).not.toContain('password is wrong');
  });
});
