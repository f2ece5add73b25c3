import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import { AppError, rememberSecret } from '../../errors/index.js';
import { nowIso } from '../../model/ids.js';
import { recordAudit } from '../../audit/audit.js';
import { platformSecretAad } from '../../connections/platform-secrets.js';

/**
 * Single sign-on settings per tenant (issue 12, point 1): per provider enabled, client id,
 * client secret (sealed in `secrets` like the installation's other secrets, never returned,
 * logged or audited), the directory it is bound to (Entra directory (tenant) id; Google hosted
 * domain) and the authority (base URL; empty = the real provider, the demo points it at the
 * sandbox); and whether SSO is required (password sign-in refused for the tenant's users).
 */
export const SSO_PROVIDERS = ['microsoft', 'google'] as const;
export type SsoProvider = (typeof SSO_PROVIDERS)[number];
export const PROVIDER_NAMES: Record<SsoProvider, string> = { microsoft: 'Microsoft', google: 'Google' };

export const DEFAULT_AUTHORITY: Record<SsoProvider, string> = {
  microsoft: 'https://login.microsoftonline.com',
  google: 'https://accounts.google.com',
};

export function isSsoProvider(v: string): v is SsoProvider {
  return (SSO_PROVIDERS as readonly string[]).includes(v);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const providerPatch = z.object({
  enabled: z.boolean().optional(),
  clientId: z.string().trim().max(200).optional(),
  /** Write-only: set (a value), keep (absent), or clear (empty string). */
  clientSecret: z.string().max(500).optional(),
  directory: z.string().trim().max(253).nullable().optional(),
  authority: z.string().trim().max(500).url().nullable().optional().or(z.literal('')),
}).strict();

export const ssoSettingsBody = z.object({
  required: z.boolean().optional(),
  providers: z.object({ microsoft: providerPatch.optional(), google: providerPatch.optional() }).strict().optional(),
}).strict();

export interface ProviderSettings {
  readonly provider: SsoProvider;
  readonly enabled: boolean;
  readonly clientId: string;
  readonly directory: string | null;
  readonly authority: string | null;
}

export interface ProviderView extends ProviderSettings {
  readonly hasClientSecret: boolean;
  readonly updatedAt: string | null;
}

export interface SsoSettingsView {
  readonly required: boolean;
  readonly providers: Record<SsoProvider, ProviderView>;
}

const secretName = (p: SsoProvider) => `sso.${p}.client_secret`;

export async function providerSettings(rt: Runtime, tenantId: string, provider: SsoProvider): Promise<(ProviderSettings & { updatedAt: string }) | null> {
  const row = await rt.store.db.selectFrom('sso_providers').selectAll().where('tenant_id', '=', tenantId).where('provider', '=', provider).executeTakeFirst();
  if (!row) return null;
  return { provider, enabled: row.enabled === 1, clientId: row.client_id, directory: row.directory, authority: row.authority, updatedAt: row.updated_at };
}

/** The client secret, opened for the token request only (remembered so the log redacts it). */
export async function clientSecretOf(rt: Runtime, tenantId: string, provider: SsoProvider): Promise<string | null> {
  const row = await rt.store.db.selectFrom('secrets').select('ciphertext').where('tenant_id', '=', tenantId).where('name', '=', secretName(provider)).executeTakeFirst();
  if (!row) return null;
  const value = rt.secrets.open(row.ciphertext, platformSecretAad(tenantId, secretName(provider)));
  rememberSecret(value);
  return value;
}

async function hasSecret(rt: Runtime, tenantId: string, provider: SsoProvider): Promise<boolean> {
  return !!(await rt.store.db.selectFrom('secrets').select('name').where('tenant_id', '=', tenantId).where('name', '=', secretName(provider)).executeTakeFirst());
}

export async function ssoRequired(rt: Runtime, tenantId: string): Promise<boolean> {
  const row = await rt.store.db.selectFrom('sso_policies').select('required').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row?.required === 1;
}

export async function ssoSettingsView(rt: Runtime, tenantId: string): Promise<SsoSettingsView> {
  const providers = {} as Record<SsoProvider, ProviderView>;
  for (const p of SSO_PROVIDERS) {
    const s = await providerSettings(rt, tenantId, p);
    providers[p] = {
      provider: p, enabled: s?.enabled ?? false, clientId: s?.clientId ?? '', directory: s?.directory ?? null, authority: s?.authority ?? null,
      hasClientSecret: await hasSecret(rt, tenantId, p), updatedAt: s?.updatedAt ?? null,
    };
  }
  return { required: await ssoRequired(rt, tenantId), providers };
}

/** Which providers the sign-in page offers (enabled and complete): public, names only. */
export async function enabledProviders(rt: Runtime, tenantId: string): Promise<SsoProvider[]> {
  const v = await ssoSettingsView(rt, tenantId);
  return SSO_PROVIDERS.filter((p) => v.providers[p].enabled && v.providers[p].clientId && v.providers[p].hasClientSecret);
}

/**
 * Applies a change; audited with old and new values (the client secret only as "changed").
 * Enabling needs a client id and secret (and a directory id for Microsoft: without one any
 * organisation's users could sign in); requiring SSO needs an enabled provider.
 */
export async function updateSsoSettings(rt: Runtime, tenantId: string, body: unknown): Promise<SsoSettingsView> {
  const input = ssoSettingsBody.parse(body);
  const before = await ssoSettingsView(rt, tenantId);
  const now = nowIso(rt.now());
  const changes: string[] = [];
  const invalid = (detail: string) => new AppError('auth.sso_settings_invalid', { detail });
  const next = { ...before.providers };
  for (const p of SSO_PROVIDERS) {
    const patch = input.providers?.[p];
    if (!patch) continue;
    const old = before.providers[p];
    const merged = {
      enabled: patch.enabled ?? old.enabled,
      clientId: patch.clientId ?? old.clientId,
      directory: patch.directory === undefined ? old.directory : (patch.directory || null),
      authority: patch.authority === undefined ? old.authority : (patch.authority || null),
    };
    const secretAfter = patch.clientSecret === undefined ? old.hasClientSecret : patch.clientSecret !== '';
    if (merged.enabled) {
      if (!merged.clientId) throw invalid(`${PROVIDER_NAMES[p]} cannot be enabled without a client id`);
      if (!secretAfter) throw invalid(`${PROVIDER_NAMES[p]} cannot be enabled without a client secret`);
      if (p === 'microsoft' && !(merged.directory && GUID.test(merged.directory))) throw invalid('Microsoft needs the directory (tenant) id, a GUID, to know whose users may sign in');
    }
    if (p === 'google' && merged.directory && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(merged.directory)) throw invalid('The Google hosted domain must be a domain name, e.g. example.com');
    if (merged.authority && !/^https?:\/\//.test(merged.authority)) throw invalid('The authority must be an http(s) URL');
    await rt.store.db.insertInto('sso_providers').values({
      tenant_id: tenantId, provider: p, enabled: merged.enabled ? 1 : 0, client_id: merged.clientId, directory: merged.directory, authority: merged.authority, updated_at: now,
    }).onConflict((oc) => oc.columns(['tenant_id', 'provider']).doUpdateSet({
      enabled: merged.enabled ? 1 : 0, client_id: merged.clientId, directory: merged.directory, authority: merged.authority, updated_at: now,
    })).execute();
    if (patch.clientSecret !== undefined) {
      if (patch.clientSecret === '') {
        await rt.store.db.deleteFrom('secrets').where('tenant_id', '=', tenantId).where('name', '=', secretName(p)).execute();
      } else {
        const ciphertext = rt.secrets.seal(patch.clientSecret, platformSecretAad(tenantId, secretName(p)));
        await rt.store.db.insertInto('secrets').values({ tenant_id: tenantId, name: secretName(p), ciphertext, updated_at: now })
          .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ ciphertext, updated_at: now })).execute();
      }
      changes.push(`${p} client secret ${patch.clientSecret === '' ? 'removed' : 'changed'}`);
    }
    const show = (v: unknown) => (v === null || v === '' ? '(none)' : String(v));
    for (const [field, a, b] of [['enabled', old.enabled, merged.enabled], ['client id', old.clientId, merged.clientId], [p === 'microsoft' ? 'directory id' : 'hosted domain', old.directory, merged.directory], ['authority', old.authority, merged.authority]] as const) {
      if (a !== b && !(a === null && b === '') && !(a === '' && b === null)) changes.push(`${p} ${field} ${show(a)} → ${show(b)}`);
    }
    next[p] = { ...old, ...merged, hasClientSecret: secretAfter };
  }
  if (input.required !== undefined && input.required !== before.required) {
    if (input.required && !SSO_PROVIDERS.some((p) => next[p].enabled)) throw invalid('Single sign-on cannot be required while no provider is enabled');
    await rt.store.db.insertInto('sso_policies').values({ tenant_id: tenantId, required: input.required ? 1 : 0, updated_at: now })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ required: input.required ? 1 : 0, updated_at: now })).execute();
    changes.push(`single sign-on required ${before.required ? 'yes' : 'no'} → ${input.required ? 'yes' : 'no'}`);
  }
  if (changes.length) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: input.required ? 'warning' : 'info', action: 'sso.settings_changed', actor: 'admin', target: { type: 'sso', id: tenantId, name: 'Single sign-on' },
      message: `Single sign-on settings changed: ${changes.join('; ')}`,
    }, rt.now());
  }
  return ssoSettingsView(rt, tenantId);
}
