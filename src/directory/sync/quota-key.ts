import type { ConnectionRow } from '../../store/connections-repo.js';
import { fromJson } from '../../store/json.js';
import { identityBudgetKey } from '../../connectors/microsoft/index.js';
import { ROLE_ARN_RE } from '../../connectors/aws/config.js';

/**
 * Which provider quota a connection's reads spend, from its config alone (no call needed):
 * connections with the same key share a budget, and the scheduler staggers their full syncs.
 * Matches the connectors' budget keys where the config determines them (Graph: app + tenant);
 * otherwise the nearest the config tells (Google: the admin's customer; AWS: the role's
 * account; SCIM: the service URL).
 */
export function quotaKeyOf(row: Pick<ConnectionRow, 'id' | 'kind' | 'config_json'>): string {
  const c = fromJson<Record<string, unknown>>(row.config_json, {});
  const s = (k: string) => (typeof c[k] === 'string' ? (c[k] as string).toLowerCase() : '');
  switch (row.kind) {
    case 'microsoft365':
      return identityBudgetKey(s('tenantId'), s('clientId'));
    case 'google_workspace':
      return `google-directory-customer:${s('adminEmail').split('@')[1] ?? s('domain')}`;
    case 'aws_iam': {
      const arn = typeof c['roleArn'] === 'string' ? (c['roleArn'] as string).match(ROLE_ARN_RE)?.[1] : undefined;
      return arn ? `aws:iam:${arn}` : `aws:connection:${row.id}`;
    }
    case 'scim':
      return `scim:${s('baseUrl')}`;
    default:
      return `connection:${row.id}`;
  }
}
