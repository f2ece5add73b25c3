import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startWorker, type Worker } from '../src/engine/worker.js';
import { diagnosticsHandlers } from '../src/diagnostics/jobs.js';
import { queueExpiryReminders, queueIncidentReminders } from '../src/notify/reminders.js';
import { markConnectionFailed } from '../src/connections/service.js';
import { verifyWebhook } from '../src/notify/webhook.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { bootApp } from './support/app.js';
import { m365Body, m365SecretCredential } from './support/connections.js';
import { startSmtp, startWebhookReceiver } from './support/receivers.js';

/**
 * Alerts by email (a real SMTP server process) and webhook (a real HTTP receiver): the test
 * alert, expiry reminders at 30/14/7/1 days and expired, and the decaying reminder cadence of
 * an open incident — each change of state alerted once. The clock is moved by the test.
 */
const SMTP = { user: 'alerts@northwind.test', password: 'smtp-Pa55word-never-shown' };
const HOOK_SECRET = 'whsec_0123456789abcdef-never-shown';
const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('alerts', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let worker: Worker;
  let offset = 0;
  let connectionId: string;

  beforeAll(async () => {
    sandbox = await startSandbox({});
    smtp = await startSmtp(SMTP);
    hook = await startWebhookReceiver();
    app = await bootApp({ now: () => Date.now() + offset });
    // Deliveries only (no scheduler): the test decides when reminders are looked for.
    worker = startWorker({ store: app.rt.store, handlers: diagnosticsHandlers(app.rt), pollMs: 50, now: app.rt.now }, false);
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.stop();
    await smtp?.close();
    await hook?.close();
    await sandbox?.close();
  });

  const events = (kind: string) => ({
    mails: smtp.mails.filter((m) => m.raw.includes(`X-Syncwarden-Event: ${kind}`)),
    hooks: hook.hooks.filter((h) => h.headers['x-syncwarden-event'] === kind),
  });

  it('channels are created with their secrets sealed and never returned', async () => {
    const email = await app.api('/alerts/channels', {
      method: 'POST',
      body: JSON.stringify({ type: 'email', name: 'IT on-call', config: { host: '127.0.0.1', port: smtp.port, security: 'none', user: SMTP.user, from: 'syncwarden@northwind.test', to: ['it@northwind.test', 'oncall@northwind.test'] }, password: SMTP.password }),
    });
    expect(email.status, email.text).toBe(201);
    expect(email.body).toMatchObject({ type: 'email', enabled: true, hasSecret: true });
    const webhook = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'Pager', config: { url: hook.url }, secret: HOOK_SECRET }) });
    expect(webhook.status, webhook.text).toBe(201);
    const list = await app.api('/alerts/channels');
    expect(list.body.channels).toHaveLength(2);
    for (const r of [email, webhook, list]) {
      expect(r.text).not.toContain(SMTP.password);
      expect(r.text).not.toContain(HOOK_SECRET);
    }
    const short = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'Weak', config: { url: hook.url }, secret: 'short' }) });
    expect(short.status).toBe(400);
  });

  it('Send test alert reaches the SMTP server and the webhook receiver, signed', async () => {
    const { channels } = (await app.api('/alerts/channels')).body as { channels: { id: string; type: string }[] };
    for (const c of channels) {
      const r = await app.api(`/alerts/channels/${c.id}/test`, { method: 'POST' });
      expect(r.body, r.text).toEqual({ ok: true, error: null });
    }
    const mail = smtp.mails.at(-1)!;
    expect(mail.user).toBe(SMTP.user);
    expect(mail.to.sort()).toEqual(['it@northwind.test', 'oncall@northwind.test']);
    expect(mail.subject).toContain('Test alert');
    const h = hook.hooks.at(-1)!;
    expect(h.headers['content-type']).toContain('application/json');
    expect(verifyWebhook(HOOK_SECRET, { signature: h.headers['x-syncwarden-signature'] as string, timestamp: h.headers['x-syncwarden-timestamp'] as string }, h.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(JSON.parse(h.body)).toMatchObject({ schema: 'syncwarden.alert/v1', event: 'alert.test' });
  });

  it('a channel that fails says why, without its secret', async () => {
    const bad = await app.api('/alerts/channels', {
      method: 'POST',
      body: JSON.stringify({ type: 'email', name: 'Wrong password', enabled: false, config: { host: '127.0.0.1', port: smtp.port, security: 'none', user: SMTP.user, from: 'syncwarden@northwind.test', to: ['it@northwind.test'] }, password: 'not-the-password-123' }),
    });
    const r = await app.api(`/alerts/channels/${bad.body.id}/test`, { method: 'POST' });
    expect(r.body.ok).toBe(false);
    expect(r.body.error.code).toBe('alert.delivery_failed');
    expect(r.body.error.message).toContain('535');
    expect(r.text).not.toContain('not-the-password-123');
    hook.setStatus(500);
    const { channels } = (await app.api('/alerts/channels')).body as { channels: { id: string; type: string }[] };
    const w = await app.api(`/alerts/channels/${channels.find((c) => c.type === 'webhook')!.id}/test`, { method: 'POST' });
    hook.setStatus(200);
    expect(w.body.error.message).toContain('HTTP 500');
  });

  it('expiry reminders at 30, 14, 7 and 1 days and once expired, each sent once', async () => {
    // A client secret whose end date (from the Entra portal) is 40 days away.
    const created = await app.api('/connections', {
      method: 'POST',
      body: JSON.stringify(m365Body(sandbox, { name: 'Secret with an end date', credential: m365SecretCredential(sandbox, { expiresAt: new Date(Date.now() + 40 * DAY).toISOString() }) })),
    });
    connectionId = created.body.id;
    const tick = async () => {
      await queueExpiryReminders(app.rt);
      await worker.drain();
    };
    await tick();
    expect(events('credential.expiring').mails).toHaveLength(0);
    const seen: string[] = [];
    for (const days of [12, 12, 20, 27, 33, 34, 38, 39, 39.5, 41]) {
      offset = days * DAY;
      await tick();
      const now = events('credential.expiring').mails.length + events('credential.expired').mails.length;
      seen.push(`${days}:${now}`);
    }
    // 12 days in: 27 left → the 30-day reminder (once, though looked for twice); 20 → still the 30-day one;
    // 27 → 14-day; 33 → 7-day; 34 → nothing new; 38, 39 and 39.5 → 1-day (once); 41 → expired.
    expect(seen).toEqual(['12:1', '12:1', '20:1', '27:2', '33:3', '34:3', '38:4', '39:4', '39.5:4', '41:5']);
    expect(events('credential.expiring').hooks).toHaveLength(4);
    expect(events('credential.expired').hooks).toHaveLength(1);
    const subjects = [...events('credential.expiring').mails, ...events('credential.expired').mails].map((m) => m.subject);
    expect(subjects[0]).toMatch(/expires in 27 days: Secret with an end date/);
    expect(subjects.at(-1)).toMatch(/Credential expired: Secret with an end date/);
    const last = JSON.parse(events('credential.expired').hooks[0]!.body);
    expect(last).toMatchObject({ event: 'credential.expired', connection: { id: connectionId }, credential: { basis: 'entered' }, error: { code: 'credential.expired' } });
    const inventory = await app.api('/credentials?status=expired');
    expect(inventory.body.credentials.map((c: { connectionId: string }) => c.connectionId)).toEqual([connectionId]);
    offset = 0;
  });

  it('an open incident is alerted once, then reminded after 1 h, 4 h, 24 h and daily', async () => {
    offset = 0;
    await markConnectionFailed(app.rt, DEFAULT_TENANT, connectionId, { code: 'm365.client_secret_expired', params: {} });
    await markConnectionFailed(app.rt, DEFAULT_TENANT, connectionId, { code: 'm365.client_secret_expired', params: {} });
    await worker.drain();
    expect(events('incident.opened').mails).toHaveLength(1);
    expect(events('incident.opened').hooks).toHaveLength(1);
    const counts: string[] = [];
    for (const hours of [0.5, 1, 2, 3.9, 4, 12, 24, 30, 48, 49, 72]) {
      offset = hours * HOUR;
      await queueIncidentReminders(app.rt);
      await worker.drain();
      counts.push(`${hours}:${events('incident.reminder').mails.length}`);
    }
    expect(counts).toEqual(['0.5:0', '1:1', '2:1', '3.9:1', '4:2', '12:2', '24:3', '30:3', '48:4', '49:4', '72:5']);
    const alerts = await app.api('/alerts?limit=100');
    const reminders = alerts.body.alerts.filter((a: { event: string }) => a.event === 'incident.reminder');
    expect(reminders.every((a: { status: string }) => a.status === 'sent')).toBe(true);
    offset = 0;
  });

  it('a failed delivery is retried to the failing channel only', async () => {
    offset = 0;
    hook.setStatus(503);
    const mailsBefore = smtp.mails.length;
    const hooksBefore = hook.hooks.length;
    await app.api(`/connections/${connectionId}/test`, { method: 'POST' }); // healthy: resolves the incident
    await worker.drain().catch(() => 0);
    expect(smtp.mails.length).toBe(mailsBefore + 1);
    const stuck = (await app.api('/alerts?limit=100')).body.alerts.find((a: { event: string }) => a.event === 'incident.resolved');
    expect(stuck.status).toBe('queued');
    expect(stuck.lastError.code).toBe('alert.delivery_failed');
    hook.setStatus(200);
    // The worker retries with backoff; make the retry due now.
    await app.rt.store.db.updateTable('jobs').set({ run_at: new Date(app.rt.now() - 1000).toISOString() }).where('kind', '=', 'alert.deliver').where('status', '=', 'queued').execute();
    await worker.drain();
    expect(smtp.mails.length).toBe(mailsBefore + 1);
    expect(hook.hooks.length).toBeGreaterThan(hooksBefore);
    expect(events('incident.resolved').hooks.filter((h) => JSON.parse(h.body).event === 'incident.resolved').length).toBeGreaterThanOrEqual(1);
    const sent = (await app.api('/alerts?limit=100')).body.alerts.find((a: { event: string }) => a.event === 'incident.resolved');
    expect(sent.status).toBe('sent');
  });
});
