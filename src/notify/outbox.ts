import type { Runtime } from '../runtime/context.js';
import { AppError, parseStoredError, renderStored, toAppError, type RenderedError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { enqueue } from '../engine/jobs.js';
import { fromJson, toJson } from '../store/json.js';
import { recordAudit } from '../audit/audit.js';
import { getAlert, insertAlert, listAlerts, listChannels, staleQueuedAlerts, updateAlert, type AlertChannelRow, type AlertRow } from '../store/alerts-repo.js';
import { channelSecret, emailConfigSchema, requireChannel, webhookConfigSchema } from './channels.js';
import { sendEmail } from './email.js';
import { postWebhook } from './webhook.js';
import { emailFor, type AlertPayload } from './messages.js';

/**
 * The alert outbox. An alert is queued once per change of state — the dedupe key is unique
 * per tenant, so however many processes notice the change, one row wins — then delivered by
 * a job to every enabled channel. Per-channel results are kept, so a retry resends only to
 * the channels that failed.
 */
export const DELIVER_JOB = 'alert.deliver';

export interface AlertSubject {
  readonly type: string;
  readonly id: string;
  readonly name: string;
}

/** Queues an alert unless one with this key was queued before; returns whether it was queued. */
export async function queueAlert(rt: Runtime, tenantId: string, dedupeKey: string, subject: AlertSubject, payload: Omit<AlertPayload, 'schema' | 'tenantId' | 'occurredAt'>): Promise<boolean> {
  const id = newId('alrt', rt.now());
  const now = nowIso(rt.now());
  const full: AlertPayload = { schema: 'syncwarden.alert/v1', tenantId, occurredAt: now, ...payload };
  const inserted = await insertAlert(rt.store.db, tenantId, {
    id,
    dedupe_key: dedupeKey,
    event: payload.event,
    subject_type: subject.type,
    subject_id: subject.id,
    subject_name: subject.name,
    payload_json: toJson(full),
    status: 'queued',
    attempts: 0,
    deliveries_json: '{}',
    last_error_json: null,
    created_at: now,
    sent_at: null,
    updated_at: now,
  });
  // Jobs are scheduled on the wall clock the workers claim by (not rt.now()).
  if (inserted) await enqueue(rt.store.db, tenantId, { kind: DELIVER_JOB, dedupeKey: `alert:${id}`, payload: { alertId: id } }, rt.now());
  return inserted;
}

/** Delivers an alert to every enabled channel not yet reached; throws alert.delivery_failed (retried) when one failed. */
export async function deliverAlert(rt: Runtime, tenantId: string, alertId: string): Promise<void> {
  const alert = await getAlert(rt.store.db, tenantId, alertId);
  if (!alert || alert.status === 'sent' || alert.status === 'no_channels') return;
  const channels = (await listChannels(rt.store.db, tenantId)).filter((c) => Number(c.enabled) === 1);
  const now = nowIso(rt.now());
  if (channels.length === 0) {
    await updateAlert(rt.store.db, tenantId, alert.id, { status: 'no_channels', updated_at: now });
    return;
  }
  const deliveries = fromJson<Record<string, string>>(alert.deliveries_json, {});
  const payload = fromJson<AlertPayload>(alert.payload_json, {} as AlertPayload);
  let firstError: AppError | null = null;
  for (const channel of channels) {
    if (deliveries[channel.id] === 'sent') continue;
    try {
      await sendToChannel(rt, tenantId, channel, alert, payload);
      deliveries[channel.id] = 'sent';
    } catch (e) {
      const err = toAppError(e);
      deliveries[channel.id] = renderStored(err.toJSON())?.message ?? err.code;
      firstError ??= err;
      rt.log.warn({ alert: alert.id, channel: channel.id, code: err.code }, 'alert delivery failed');
    }
  }
  const allSent = channels.every((c) => deliveries[c.id] === 'sent');
  await updateAlert(rt.store.db, tenantId, alert.id, {
    status: allSent ? 'sent' : 'queued',
    attempts: Number(alert.attempts) + 1,
    deliveries_json: toJson(deliveries),
    last_error_json: firstError ? toJson(firstError.toJSON()) : null,
    sent_at: allSent ? now : alert.sent_at,
    updated_at: now,
  });
  if (allSent) rt.log.info({ alert: alert.id, event: alert.event, channels: channels.length }, 'alert delivered');
  if (firstError) throw firstError;
}

/** The job gave up on an alert: mark it failed so the Alerts page shows it. */
export async function markAlertFailed(rt: Runtime, tenantId: string, alertId: string): Promise<void> {
  await updateAlert(rt.store.db, tenantId, alertId, { status: 'failed', updated_at: nowIso(rt.now()) });
}

async function sendToChannel(rt: Runtime, tenantId: string, channel: AlertChannelRow, alert: Pick<AlertRow, 'id' | 'event'>, payload: AlertPayload): Promise<void> {
  const secret = channelSecret(rt, tenantId, channel);
  const config = fromJson<unknown>(channel.config_json, {});
  switch (channel.type) {
    case 'email':
      return sendEmail(channel.name, emailConfigSchema.parse(config), secret, emailFor(payload, alert.id));
    case 'webhook': {
      if (!secret) throw new AppError('alert.delivery_failed', { channel: 'webhook', name: channel.name, detail: 'the channel has no signing secret' });
      return postWebhook(channel.name, webhookConfigSchema.parse(config).url, secret, alert.event, alert.id, JSON.stringify({ id: alert.id, ...payload }), rt.now());
    }
    default:
      throw new AppError('alert.delivery_failed', { channel: channel.type, name: channel.name, detail: 'unknown channel type' });
  }
}

/** "Send test alert": delivers a test alert to one channel now and reports the outcome. */
export async function sendTestAlert(rt: Runtime, tenantId: string, channelId: string, actor = 'admin'): Promise<{ ok: boolean; error: RenderedError | null }> {
  const channel = await requireChannel(rt, tenantId, channelId);
  const id = newId('alrt', rt.now());
  const payload: AlertPayload = {
    schema: 'syncwarden.alert/v1',
    event: 'alert.test',
    severity: 'info',
    title: `Test alert for "${channel.name}"`,
    summary: 'This is a test alert from Syncwarden. If you can read it, the channel works.',
    occurredAt: nowIso(rt.now()),
    tenantId,
    link: '#/alerts',
  };
  let error: RenderedError | null = null;
  try {
    await sendToChannel(rt, tenantId, channel, { id, event: 'alert.test' }, payload);
  } catch (e) {
    const err = toAppError(e);
    error = renderStored(err.toJSON());
  }
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: error ? 'warning' : 'info',
    action: 'alerts.test_sent',
    actor,
    target: { type: 'alert_channel', id: channel.id, name: channel.name },
    message: error ? `Test alert to "${channel.name}" failed: ${error.message}` : `Test alert sent to "${channel.name}"`,
    ...(error ? { code: error.code } : {}),
  });
  return { ok: error === null, error };
}

export interface AlertView {
  id: string;
  event: string;
  status: string;
  subject: { type: string; id: string; name: string };
  title: string;
  attempts: number;
  deliveries: Record<string, string>;
  lastError: RenderedError | null;
  createdAt: string;
  sentAt: string | null;
}

export async function listAlertViews(rt: Runtime, tenantId: string, limit = 100): Promise<AlertView[]> {
  return (await listAlerts(rt.store.db, tenantId, limit)).map((a) => ({
    id: a.id,
    event: a.event,
    status: a.status,
    subject: { type: a.subject_type, id: a.subject_id, name: a.subject_name },
    title: fromJson<{ title?: string }>(a.payload_json, {}).title ?? a.event,
    attempts: Number(a.attempts),
    deliveries: fromJson<Record<string, string>>(a.deliveries_json, {}),
    lastError: renderStored(parseStoredError(a.last_error_json)),
    createdAt: a.created_at,
    sentAt: a.sent_at,
  }));
}

/** Re-queues delivery for alerts whose job was lost (a crash between insert and enqueue). */
export async function requeueStaleAlerts(rt: Runtime): Promise<number> {
  let n = 0;
  for (const a of await staleQueuedAlerts(rt.store.db, nowIso(rt.now() - 60_000))) {
    if (await enqueue(rt.store.db, a.tenant_id, { kind: DELIVER_JOB, dedupeKey: `alert:${a.id}`, payload: { alertId: a.id } }, rt.now())) n += 1;
  }
  return n;
}
