import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { parseStoredError, renderError } from '../errors/index.js';
import { getConnection } from '../store/connections-repo.js';
import { expiringCurrentCredentials } from '../store/credentials-repo.js';
import { allOpenIncidents } from '../store/incidents-repo.js';
import { fromJson } from '../store/json.js';
import { kindSpec } from '../connections/kinds/index.js';
import type { CredentialMeta } from '../connections/kinds/types.js';
import { addDays, daysLeft, EXPIRING_SOON_DAYS, reminderDue } from '../connections/expiry.js';
import { queueAlert } from './outbox.js';

/**
 * Reminders, each queued once (the outbox's dedupe key): a credential in use at 30, 14, 7 and
 * 1 days before it expires and once expired; an open incident after 1 h, 4 h, 24 h, then daily.
 */
const HOUR = 3_600_000;
const INCIDENT_REMINDERS_MS = [1 * HOUR, 4 * HOUR, 24 * HOUR] as const;

/**
 * Which reminder an incident open for `ageMs` is due: 0 = none yet, 1 at 1 h, 2 at 4 h, 3 at
 * 24 h, then one more each day. Only the latest is queued, so a process that was down does
 * not send a burst.
 */
export function incidentReminderIndex(ageMs: number): number {
  let n = 0;
  for (const at of INCIDENT_REMINDERS_MS) if (ageMs >= at) n += 1;
  if (ageMs >= 24 * HOUR) n += Math.floor((ageMs - 24 * HOUR) / (24 * HOUR));
  return n;
}

export async function queueIncidentReminders(rt: Runtime): Promise<number> {
  let queued = 0;
  const nowMs = rt.now();
  for (const inc of await allOpenIncidents(rt.store.db)) {
    const n = incidentReminderIndex(nowMs - Date.parse(inc.opened_at));
    if (n === 0) continue;
    const connection = await getConnection(rt.store.db, inc.tenant_id, inc.connection_id);
    if (!connection) continue;
    const error = parseStoredError({ code: inc.code, params: fromJson(inc.params_json, {}) });
    const rendered = error ? renderError(error.code, error.params) : undefined;
    const hours = Math.round((nowMs - Date.parse(inc.opened_at)) / HOUR);
    const ok = await queueAlert(rt, inc.tenant_id, `incident.reminder:${inc.id}:${n}`, { type: 'incident', id: inc.id, name: connection.name }, {
      event: 'incident.reminder',
      severity: 'critical',
      title: `Still failing after ${hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`}: ${connection.name}${rendered ? ` — ${rendered.title}` : ''}`,
      summary: `The connection "${connection.name}" has been failing since ${inc.opened_at}; ${Number(inc.affected_users)} user(s) are blocked until it is fixed.`,
      connection: { id: connection.id, name: connection.name, kind: connection.kind, role: connection.role },
      incident: { id: inc.id, state: 'open', since: inc.opened_at, resolvedAt: null, affectedUsers: Number(inc.affected_users), trigger: inc.trigger, reminder: n },
      ...(rendered ? { error: rendered } : {}),
      link: '#/incidents',
    });
    if (ok) queued += 1;
  }
  return queued;
}

export async function queueExpiryReminders(rt: Runtime): Promise<number> {
  let queued = 0;
  const nowMs = rt.now();
  for (const cred of await expiringCurrentCredentials(rt.store.db, addDays(nowIso(nowMs), EXPIRING_SOON_DAYS + 1))) {
    const days = daysLeft(cred.expires_at!, nowMs);
    const due = reminderDue(days);
    if (due === null) continue;
    const connection = await getConnection(rt.store.db, cred.tenant_id, cred.connection_id);
    if (!connection) continue;
    const spec = kindSpec(connection.kind);
    const facts = spec.methods[cred.method]?.expiry(fromJson<CredentialMeta>(cred.meta_json, {})) ?? { what: cred.method, basis: 'credential' as const, maxAgeDays: null };
    const policy = facts.basis === 'age_policy';
    const date = cred.expires_at!.slice(0, 10);
    const expired = due === 'expired';
    const title = expired
      ? policy
        ? `Rotation overdue: ${connection.name} — ${facts.what} passed its ${facts.maxAgeDays}-day policy on ${date}`
        : `Credential expired: ${connection.name} — ${facts.what} expired on ${date}`
      : policy
        ? `Rotation due in ${days} day${days === 1 ? '' : 's'}: ${connection.name} — ${facts.what}`
        : `Credential expires in ${days} day${days === 1 ? '' : 's'}: ${connection.name} — ${facts.what}`;
    const code = expired ? (policy ? 'credential.rotation_due' : 'credential.expired') : policy ? 'credential.rotation_due' : 'credential.expiring_soon';
    const params = { what: facts.what, expiresAt: date, days, ageDays: (facts.maxAgeDays ?? 0) - days, maxAgeDays: facts.maxAgeDays ?? 0 };
    const ok = await queueAlert(rt, cred.tenant_id, `credential.${expired ? 'expired' : 'expiring'}:${cred.id}:${due}`, { type: 'credential', id: cred.id, name: connection.name }, {
      event: expired ? 'credential.expired' : 'credential.expiring',
      severity: expired || days <= 7 ? 'critical' : 'warning',
      title,
      summary: `${title}. Rotate with overlap from the connection's three-dot menu > Rotate credential: add the new credential, test it, switch, retire the old one.`,
      connection: { id: connection.id, name: connection.name, kind: connection.kind, role: connection.role },
      credential: { id: cred.id, what: facts.what, expiresAt: cred.expires_at, daysLeft: days, basis: facts.basis },
      error: renderError(code, params),
      link: '#/credentials',
    });
    if (ok) queued += 1;
  }
  return queued;
}
