/**
 * What kind of account this is — a person's, a guest's or a service's — from the evidence the
 * providers give, written once for every provider. Entra ID and Google Workspace do not mark
 * service accounts: admins create them as ordinary users. What gives them away:
 * - the provider says so: an AWS IAM user on a service path or tag (the AWS connector reads it),
 *   a Google service account (`…gserviceaccount.com`), an application-only sign-in
 *   (a service principal, `attributes.applicationOnly`);
 * - a user with neither mailbox nor employee id, and no personal name — two strong signs;
 * - a name such as `svc-backup`, `service-…`, `sa-…`: weak evidence, counted only with one
 *   strong sign, since people's names can look like anything.
 * Accounts whose sign-in name is not an address (AWS IAM) are left to their connector: they never
 * have a mailbox, so its absence says nothing.
 */
export interface ClassifiableAccount {
  readonly accountType: string; // user | guest | service, as the connector read it
  readonly userName: string;
  readonly email: string | null;
  readonly employeeId: string | null;
  readonly displayName: string;
  readonly givenName?: string | null;
  readonly familyName?: string | null;
  readonly attributes?: Record<string, unknown> | null;
}

export type AccountKind = 'user' | 'guest' | 'service';

export interface Classification {
  readonly type: AccountKind;
  /** The evidence, in words, strongest first (empty for an ordinary person's account). */
  readonly evidence: string[];
}

const SERVICE_NAME = /^(svc|service|srv|sa|app|bot|noreply|no-reply|system)[-_.]/i;

export function classifyAccount(a: ClassifiableAccount): Classification {
  if (a.accountType === 'guest') return { type: 'guest', evidence: ['the provider marks it as a guest'] };
  if (a.accountType === 'service') return { type: 'service', evidence: ['the provider marks it as a service account'] };
  const name = a.userName.toLowerCase();
  if (/\.gserviceaccount\.com$/.test(name) || /\.gserviceaccount\.com$/.test((a.email ?? '').toLowerCase())) return { type: 'service', evidence: ['a Google Cloud service account'] };
  const attrs = a.attributes ?? {};
  if (attrs['applicationOnly'] === true || /^serviceprincipal$/i.test(String(attrs['objectType'] ?? ''))) return { type: 'service', evidence: ['signs in as an application only (a service principal)'] };
  if (!name.includes('@')) return { type: 'user', evidence: [] };
  const strong: string[] = [];
  if (!a.email) strong.push('no mailbox');
  if (!a.employeeId) strong.push('no employee id');
  const personal = !!(a.givenName || a.familyName);
  const weak = SERVICE_NAME.test(name) ? [`a service-style name (${name.slice(0, name.indexOf('@'))})`] : [];
  const noMailboxNoId = strong.length === 2 && !personal;
  if (noMailboxNoId || (weak.length && strong.length >= 1)) return { type: 'service', evidence: [...strong, ...(personal ? [] : ['no personal name']), ...weak] };
  return { type: 'user', evidence: [] };
}
