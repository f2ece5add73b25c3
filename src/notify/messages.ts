import type { RenderedError } from '../errors/index.js';
import type { EmailMessage } from './email.js';

/**
 * What an alert says, as one versioned JSON document: the webhook body, and the source of the
 * email text. Never a secret: only names, ids, dates, counts and catalogue text.
 */
export const alertEvents = ['incident.opened', 'incident.resolved', 'incident.reminder', 'credential.expiring', 'credential.expired', 'audit.chain_broken', 'failover.proposed', 'failover.recovery_started', 'alert.test', 'campaign.did_not_stick', 'campaign.reminder'] as const;
export type AlertEvent = (typeof alertEvents)[number];

export interface AlertPayload {
  readonly schema: 'syncwarden.alert/v1';
  readonly event: AlertEvent;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly title: string;
  readonly summary: string;
  readonly occurredAt: string;
  readonly tenantId: string;
  readonly connection?: { readonly id: string; readonly name: string; readonly kind: string; readonly role: string };
  readonly incident?: {
    readonly id: string;
    readonly state: string;
    readonly since: string;
    readonly resolvedAt: string | null;
    readonly affectedUsers: number;
    readonly trigger: string;
    readonly reminder?: number;
  };
  readonly credential?: { readonly id: string; readonly what: string; readonly expiresAt: string | null; readonly daysLeft: number | null; readonly basis: string };
  /** A failover proposed by Syncwarden, or a recovery it started by itself. */
  readonly failover?: { readonly id: string; readonly policyId: string; readonly policyName: string; readonly state: string; readonly outageSince: string };
  readonly error?: Pick<RenderedError, 'code' | 'title' | 'message' | 'resolution'>;
  /** Where to look in the UI, relative to the installation's address. */
  readonly link: string;
}

export function emailFor(p: AlertPayload, alertId: string): EmailMessage {
  const lines = [p.summary, ''];
  if (p.connection) lines.push(`Connection: ${p.connection.name} (${p.connection.kind}, ${p.connection.role})`);
  if (p.incident) {
    lines.push(`Incident: ${p.incident.state}, since ${p.incident.since}${p.incident.resolvedAt ? `, resolved ${p.incident.resolvedAt}` : ''}`);
    lines.push(`Users blocked by this connection: ${p.incident.affectedUsers}`);
  }
  if (p.failover) lines.push(`Policy: ${p.failover.policyName}; Microsoft 365 failing since ${p.failover.outageSince} (failover ${p.failover.state})`);
  if (p.credential) lines.push(`Credential: ${p.credential.what}${p.credential.expiresAt ? `, expires ${p.credential.expiresAt.slice(0, 10)}` : ''}`);
  if (p.error) {
    lines.push('', `${p.error.title} (${p.error.code})`, `Cause: ${p.error.message}`, `Fix: ${p.error.resolution}`);
  }
  lines.push('', `Open Syncwarden: ${p.link}`, '', `— Syncwarden alert ${alertId} (${p.event})`);
  const tag = p.severity === 'critical' ? '[Syncwarden] ' : p.severity === 'warning' ? '[Syncwarden warning] ' : '[Syncwarden] ';
  return { subject: tag + p.title, text: lines.join('\n'), headers: { 'X-Syncwarden-Event': p.event, 'X-Syncwarden-Delivery': alertId } };
}
