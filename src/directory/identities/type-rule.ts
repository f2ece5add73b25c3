import type { Runtime } from '../../runtime/context.js';
import { fromJson } from '../../store/json.js';
import { classifyAccount, type AccountKind } from './classify.js';

export type IdentityType = 'person' | 'guest' | 'service';

/** Why an identity has its type: the admin's override, or the evidence of each account. */
export interface IdentityTypeRule {
  readonly type: IdentityType;
  readonly decidedBy: 'override' | 'evidence';
  /** One sentence an admin reads in the identity's detail. */
  readonly explanation: string;
  readonly accounts: { readonly connectionId: string; readonly userName: string; readonly kind: AccountKind; readonly evidence: string[] }[];
  readonly override: { readonly type: IdentityType; readonly reason: string | null; readonly setBy: string; readonly setAt: string } | null;
}

const KIND_WORD: Record<AccountKind, string> = { user: 'a person', guest: 'a guest', service: 'a service' };
export const TYPE_RULE = 'An identity is a person when any of its accounts is a person\'s, else a service when one is a service account, else a guest. Entra ID and Google Workspace do not mark service accounts, so Syncwarden reads the evidence: a Google Cloud service account, an application-only sign-in, or a user with neither mailbox nor employee id nor personal name (a svc- style name counts with one of them). An admin can override it.';

/** The type rule of one identity, from its accounts as stored and its override. */
export async function identityTypeRule(rt: Runtime, tenantId: string, identityId: string, identityType: string): Promise<IdentityTypeRule> {
  const db = rt.store.db;
  const rows = await db.selectFrom('dir_accounts').select(['connection_id', 'user_name', 'email', 'employee_id', 'display_name', 'given_name', 'family_name', 'account_type', 'attributes_json']).where('tenant_id', '=', tenantId).where('identity_id', '=', identityId).orderBy('connection_id').orderBy('external_id').execute();
  const accounts = rows.map((r) => {
    const c = classifyAccount({ accountType: r.account_type, userName: r.user_name, email: r.email, employeeId: r.employee_id, displayName: r.display_name, givenName: r.given_name, familyName: r.family_name, attributes: fromJson<Record<string, unknown>>(r.attributes_json, {}) });
    return { connectionId: r.connection_id, userName: r.user_name, kind: c.type, evidence: c.evidence };
  });
  const o = await db.selectFrom('identity_type_overrides').selectAll().where('tenant_id', '=', tenantId).where('identity_id', '=', identityId).executeTakeFirst();
  const override = o ? { type: o.identity_type as IdentityType, reason: o.reason, setBy: o.set_by, setAt: o.set_at } : null;
  const type = (override?.type ?? identityType) as IdentityType;
  const evidence = accounts.map((a) => `${a.userName} is ${KIND_WORD[a.kind]}${a.evidence.length ? ` (${a.evidence.join(', ')})` : ''}`).join('; ');
  const explanation = override
    ? `Set to ${type} by ${override.setBy}${override.reason ? ` ("${override.reason}")` : ''}; by the evidence alone: ${evidence || 'no account'}.`
    : `${type[0]!.toUpperCase()}${type.slice(1)} by the evidence: ${evidence || 'no account'}.`;
  return { type, decidedBy: override ? 'override' : 'evidence', explanation, accounts, override };
}
