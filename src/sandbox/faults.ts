/**
 * Fault injection: every cause in the help articles' troubleshooting tables can be switched
 * on per tenant scope (an Entra tenant id, a Google domain, an AWS account, a SCIM tenant,
 * or '*' for all). Simulators ask `active(scope, name)` at the point where the real service
 * would fail, and answer with the provider's real error shape.
 */
export const faultNames = [
  // Microsoft 365 / Entra (continuity-connection-issues, Microsoft table)
  'm365.certificate_expired',
  'm365.wrong_certificate',
  'm365.certificate_not_uploaded',
  'm365.permission_removed', // params: { permission: 'Mail.Read' }
  'm365.consent_revoked',
  'm365.app_deleted',
  'm365.secret_expired',
  'm365.user_deleted', // params: { user: upn }
  'm365.user_disabled', // params: { user: upn }
  'm365.user_renamed', // params: { user: upn, to: newUpn }
  'graph.throttle', // params: { retryAfterSeconds?: number, everyNth?: number }
  'graph.delta_expired', // next delta/nextLink use answers 410 once per folder
  // Google Workspace (continuity-connection-issues, Google table)
  'google.token_creator_missing',
  'google.service_account_deleted',
  'google.delegation_scopes_missing', // params: { scope?: string } (missing: all when absent)
  'google.api_disabled', // params: { api: 'gmail' | 'admin' | 'iamcredentials' }
  'google.user_create_failing',
  'google.admin_not_admin',
  'gmail.throttle', // params: { everyNth?: number }
  'gmail.reject_import', // params: { everyNth?: number }
  // Items (continuity-sync-issues, "Data discrepancies"): added to source mailboxes
  'item.too_large', // params: { user: upn, count?: number }
  'item.encrypted',
  'item.unsupported_type',
  // Network, on any service
  'net.slow', // params: { ms: number }
  'net.drop', // params: { everyNth?: number } close the socket without answering
  'net.lost_success', // params: { everyNth?: number } perform the request, then drop the response
] as const;
export type FaultName = (typeof faultNames)[number];

export type FaultParams = Readonly<Record<string, string | number | boolean>>;

export interface ActiveFault {
  readonly scope: string;
  readonly name: FaultName;
  readonly params: FaultParams;
  /** How many times the fault was consulted while active; used for everyNth. */
  hits: number;
}

export function isFaultName(s: string): s is FaultName {
  return (faultNames as readonly string[]).includes(s);
}

export class FaultBoard {
  private readonly faults = new Map<string, ActiveFault>();

  set(scope: string, name: FaultName, params: FaultParams = {}): void {
    this.faults.set(key(scope, name), { scope, name, params, hits: 0 });
  }

  clear(scope?: string, name?: FaultName): void {
    for (const [k, f] of this.faults) {
      if ((scope === undefined || f.scope === scope) && (name === undefined || f.name === name)) this.faults.delete(k);
    }
  }

  /** The active fault for this scope (or '*'), or undefined. */
  get(scope: string, name: FaultName): ActiveFault | undefined {
    return this.faults.get(key(scope, name)) ?? this.faults.get(key('*', name));
  }

  /**
   * True when the fault should fire on this call. Honours params.everyNth (fire on every
   * Nth consultation) so "storms" can be partial.
   */
  fires(scope: string, name: FaultName): boolean {
    const f = this.get(scope, name);
    if (!f) return false;
    f.hits += 1;
    const every = typeof f.params['everyNth'] === 'number' ? (f.params['everyNth'] as number) : 1;
    return every <= 1 || f.hits % every === 0;
  }

  list(): ActiveFault[] {
    return [...this.faults.values()];
  }
}

function key(scope: string, name: FaultName): string {
  return `${scope}\u0000${name}`;
}
