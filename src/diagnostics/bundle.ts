import { arch, platform, release } from 'node:os';
import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { fromJson } from '../store/json.js';
import { listIncidents } from '../store/incidents-repo.js';
import { credentialsOf } from '../store/credentials-repo.js';
import { kindDisplayName } from '../connections/kinds/index.js';
import { openSecret } from '../connections/credentials.js';
import { requireConnection, viewConnection } from '../connections/service.js';
import { viewIncident } from './incidents.js';

/**
 * The support bundle: one download per connection with what a support engineer asks for (the
 * seed's "Still stuck?" list) — connector type and name, the exact error and when it started,
 * recent changes from the audit log, the last test's findings, versions — and no secret. As a
 * last guard, every secret of the connection is searched for in the finished bundle and
 * replaced, so a future field cannot leak one by accident.
 */
export const BUNDLE_FORMAT = 'syncwarden.support-bundle/v1';
const AUDIT_EVENTS = 100;

export async function supportBundle(rt: Runtime, tenantId: string, connectionId: string, info: { version: string }): Promise<{ filename: string; json: string }> {
  const row = await requireConnection(rt, tenantId, connectionId);
  const view = await viewConnection(rt, tenantId, row);
  const incidents = await listIncidents(rt.store.db, tenantId, { connectionId, limit: 20 });
  const incidentViews = [];
  for (const i of incidents) incidentViews.push(await viewIncident(rt, tenantId, i, row));
  const open = incidentViews.find((i) => i.state === 'open') ?? null;
  const audit = await rt.store.db
    .selectFrom('audit_events')
    .select(['at', 'severity', 'action', 'actor', 'target_type', 'target_name', 'message', 'code'])
    .where('tenant_id', '=', tenantId)
    .where('target_id', 'in', [connectionId, ...incidents.map((i) => i.id)])
    .orderBy('seq', 'desc')
    .limit(AUDIT_EVENTS)
    .execute();
  const endpoints = (view.config['endpoints'] ?? {}) as Record<string, string>;
  const loopback = Object.values(endpoints).some((u) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(String(u)));
  const bundle = {
    format: BUNDLE_FORMAT,
    generatedAt: nowIso(rt.now()),
    product: { name: 'Syncwarden', version: info.version },
    runtime: { node: process.version, os: `${platform()} ${release()} (${arch()})`, database: rt.store.dialect },
    endpoints: { mode: loopback ? 'sandbox (loopback simulators)' : Object.keys(endpoints).length > 0 ? 'custom endpoints' : 'real provider endpoints', overrides: endpoints },
    connection: {
      id: view.id,
      name: view.name,
      type: kindDisplayName(row.kind, row.role),
      kind: view.kind,
      role: view.role,
      status: view.status,
      authMethod: view.credential ? `${view.credential.label} (${view.credential.type})` : null,
      settings: view.summary,
      writeBack: view.writeBack,
      permissions: view.permissions,
      scope: view.scope,
      scopeExcluded: view.scopeExcluded,
      createdAt: view.createdAt,
      lastTestedAt: view.lastTestedAt,
      lastHealthyAt: view.lastOkAt,
    },
    currentError: view.lastError
      ? { code: view.lastError.code, title: view.lastError.title, message: view.lastError.message, fix: view.lastError.resolution, since: open?.since ?? view.lastTestedAt }
      : null,
    openIncident: open,
    incidentHistory: incidentViews.filter((i) => i.state === 'resolved'),
    lastTest: { at: view.lastTestedAt, findings: view.findings },
    credentials: view.credentials.map((c) => ({
      id: c.id,
      state: c.state,
      method: c.type,
      label: c.label,
      facts: c.meta,
      expires: c.expiresAt,
      daysLeft: c.daysLeft,
      expiryBasis: c.expiry.basis,
      lastTestedAt: c.lastTestedAt,
      lastTestOk: c.lastTestOk,
    })),
    recentChanges: audit.map((a) => ({ at: a.at, severity: a.severity, action: a.action, actor: a.actor, target: a.target_name, message: a.message, code: a.code })),
    note: 'No secret is included: passwords, client secrets, private keys and tokens are never exported. Error texts come from the error catalogue.',
  };
  let json = JSON.stringify(bundle, null, 2);
  json = scrubSecrets(json, await secretsOf(rt, tenantId, connectionId));
  const date = nowIso(rt.now()).slice(0, 10);
  const slug = row.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'connection';
  return { filename: `syncwarden-support-${slug}-${date}.json`, json };
}

/** Every secret value the connection holds (for the last-guard scrub). */
async function secretsOf(rt: Runtime, tenantId: string, connectionId: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of await credentialsOf(rt.store.db, tenantId, connectionId)) {
    let secret: Record<string, string> | null = null;
    try {
      secret = openSecret(rt, tenantId, c);
    } catch {
      secret = null;
    }
    for (const v of Object.values(secret ?? {})) {
      if (v.length < 6) continue;
      out.push(v, JSON.stringify(v).slice(1, -1));
      // A key file is JSON: its private key may appear escaped on its own.
      const inner = fromJson<Record<string, unknown> | null>(v, null);
      if (inner && typeof inner === 'object') for (const x of Object.values(inner)) if (typeof x === 'string' && /PRIVATE KEY/.test(x)) out.push(x, JSON.stringify(x).slice(1, -1));
    }
  }
  return out;
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}
