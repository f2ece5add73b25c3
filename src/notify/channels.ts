import { z } from 'zod';
import { nameText } from '../model/text.js';
import { outboundUrl } from '../model/url-policy.js';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { fromJson, toJson } from '../store/json.js';
import { recordAudit } from '../audit/audit.js';
import { deleteChannel, getChannel, insertChannel, listChannels, updateChannel, type AlertChannelRow } from '../store/alerts-repo.js';
import { invalidInput } from '../connections/credentials.js';

/**
 * Alert channels: email over SMTP and HMAC-signed JSON webhooks. The SMTP password and the
 * webhook signing secret are sealed like connection credentials and never returned.
 */
const emailList = z.array(z.email().trim()).min(1, 'add at least one recipient').max(50);

export const emailConfigSchema = z.object({
  host: z.string().trim().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** 'tls': TLS from the first byte (465); 'starttls': upgrade, required (587); 'none': plain (a relay on localhost). */
  security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  user: z.string().trim().max(255).optional(),
  from: z.email().trim(),
  to: emailList,
});
export const webhookConfigSchema = z.object({
  // The signing secret's HMAC and the alert go here: the same URL policy as provider endpoints.
  url: outboundUrl(),
});

export const createChannelSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('email'), name: nameText(120), enabled: z.boolean().default(true), config: emailConfigSchema, password: z.string().optional() }),
  z.object({ type: z.literal('webhook'), name: nameText(120), enabled: z.boolean().default(true), config: webhookConfigSchema, secret: z.string().min(16, 'use a signing secret of at least 16 characters') }),
]);

/** Edit: config merges; a blank or absent password/secret keeps the stored one. */
export const updateChannelSchema = z.object({
  name: nameText(120).optional(),
  enabled: z.boolean().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  password: z.string().optional(),
  secret: z.string().min(16).optional(),
});

export type ChannelType = 'email' | 'webhook';
export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export interface ChannelView {
  id: string;
  type: ChannelType;
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

export function viewChannel(row: AlertChannelRow): ChannelView {
  return {
    id: row.id,
    type: row.type as ChannelType,
    name: row.name,
    enabled: Number(row.enabled) === 1,
    config: fromJson<Record<string, unknown>>(row.config_json, {}),
    hasSecret: row.secret_ciphertext !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What a channel's secret is sealed for (src/keys/sealed-columns.ts re-encrypts it on rotation). */
export const channelAad = (tenantId: string, id: string): string => `${tenantId}/alert-channel/${id}`;
const aad = channelAad;

export function channelSecret(rt: Runtime, tenantId: string, row: AlertChannelRow): string | null {
  if (!row.secret_ciphertext) return null;
  try {
    return rt.secrets.open(row.secret_ciphertext, aad(tenantId, row.id));
  } catch (e) {
    throw new AppError('connection.secret_unreadable', {}, { cause: e });
  }
}

export async function requireChannel(rt: Runtime, tenantId: string, id: string): Promise<AlertChannelRow> {
  const row = await getChannel(rt.store.db, tenantId, id);
  if (!row) throw new AppError('request.not_found', { entity: 'alert channel', id });
  return row;
}

export async function listChannelViews(rt: Runtime, tenantId: string): Promise<ChannelView[]> {
  return (await listChannels(rt.store.db, tenantId)).map(viewChannel);
}

export async function createChannel(rt: Runtime, tenantId: string, body: unknown, actor = 'admin'): Promise<ChannelView> {
  let input;
  try {
    input = createChannelSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const id = newId('chan', rt.now());
  const now = nowIso(rt.now());
  const secret = input.type === 'email' ? (input.password ? input.password : null) : input.secret;
  await insertChannel(rt.store.db, tenantId, {
    id,
    type: input.type,
    name: input.name,
    enabled: input.enabled ? 1 : 0,
    config_json: toJson(input.config),
    secret_ciphertext: secret ? rt.secrets.seal(secret, aad(tenantId, id)) : null,
    created_at: now,
    updated_at: now,
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'alerts.channel_created', actor, target: { type: 'alert_channel', id, name: input.name },
    message: `${input.type === 'email' ? 'Email' : 'Webhook'} alert channel "${input.name}" created`,
  });
  return viewChannel((await getChannel(rt.store.db, tenantId, id))!);
}

export async function editChannel(rt: Runtime, tenantId: string, id: string, body: unknown, actor = 'admin'): Promise<ChannelView> {
  const row = await requireChannel(rt, tenantId, id);
  let input;
  try {
    input = updateChannelSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const patch: Parameters<typeof updateChannel>[3] = { updated_at: nowIso(rt.now()) };
  if (input.name !== undefined) patch.name = input.name;
  if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
  if (input.config) {
    const merged = { ...fromJson<Record<string, unknown>>(row.config_json, {}), ...input.config };
    try {
      patch.config_json = toJson(row.type === 'email' ? emailConfigSchema.parse(merged) : webhookConfigSchema.parse(merged));
    } catch (e) {
      invalidInput(e, 'config.');
    }
  }
  const secret = row.type === 'email' ? input.password : input.secret;
  // The SMTP password goes to the SMTP host: like a connection's secret, it stays bound to the
  // server it was entered for, so another host (or port) needs it entered again.
  if (row.type === 'email' && patch.config_json !== undefined && row.secret_ciphertext && !secret) {
    const before = fromJson<Record<string, unknown>>(row.config_json, {});
    const after = fromJson<Record<string, unknown>>(patch.config_json, {});
    const moved = ['host', 'port'].filter((k) => before[k] !== after[k]);
    if (moved.length > 0) throw new AppError('connection.secret_required', { field: moved.map((k) => `config.${k}`).join(', '), secret: 'password' });
  }
  if (secret) patch.secret_ciphertext = rt.secrets.seal(secret, aad(tenantId, id));
  await updateChannel(rt.store.db, tenantId, id, patch);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'alerts.channel_edited', actor, target: { type: 'alert_channel', id, name: patch.name ?? row.name },
    message: `Alert channel "${patch.name ?? row.name}" edited${secret ? ' (new secret)' : ''}`,
  });
  return viewChannel((await getChannel(rt.store.db, tenantId, id))!);
}

export async function removeChannel(rt: Runtime, tenantId: string, id: string, actor = 'admin'): Promise<void> {
  const row = await requireChannel(rt, tenantId, id);
  await deleteChannel(rt.store.db, tenantId, id);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'alerts.channel_deleted', actor, target: { type: 'alert_channel', id, name: row.name },
    message: `Alert channel "${row.name}" deleted`,
  });
}
