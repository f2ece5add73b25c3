import { DEFAULT_LOGIN } from './config.js';

/**
 * Microsoft Graph application permissions per feature, what else satisfies each one, and the
 * admin consent link the connections UI offers as "Grant admin consent".
 * https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
 */
export const MICROSOFT_PERMISSIONS = {
  /** Continuity (mail source): read users and mail. */
  continuitySource: ['User.Read.All', 'Mail.Read'],
  /** Added with write-back consent on a continuity source: reverse recovery writes the outage's mail back. */
  continuityWriteBack: ['Mail.ReadWrite'],
  /** Identity inventory, read-only (least privilege). */
  directoryRead: ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All'],
  /** Added only when the connection has write-back consent: remove group members, directory role holders and app role assignments. */
  directoryWriteBack: ['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'],
} as const;

export type MicrosoftFeature = keyof typeof MICROSOFT_PERMISSIONS;

/** Granted roles that satisfy a required permission (a broader permission includes the narrower). */
export const PERMISSION_EQUIVALENTS: Readonly<Record<string, readonly string[]>> = {
  'User.Read.All': ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'Mail.Read': ['Mail.Read', 'Mail.ReadWrite'],
  'GroupMember.Read.All': ['GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'RoleManagement.Read.Directory': ['RoleManagement.Read.Directory', 'RoleManagement.Read.All', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'Application.Read.All': ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'GroupMember.ReadWrite.All': ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  'Mail.ReadWrite': ['Mail.ReadWrite'],
  'RoleManagement.ReadWrite.Directory': ['RoleManagement.ReadWrite.Directory'],
  'AppRoleAssignment.ReadWrite.All': ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All'],
};

export function isGranted(permission: string, roles: readonly string[]): boolean {
  return (PERMISSION_EQUIVALENTS[permission] ?? [permission]).some((r) => roles.includes(r));
}

/** The permissions a directory connection needs. */
export function directoryPermissions(writeBack: boolean): string[] {
  return [...MICROSOFT_PERMISSIONS.directoryRead, ...(writeBack ? MICROSOFT_PERMISSIONS.directoryWriteBack : [])];
}

export interface AdminConsentLink {
  /** Defaults to https://login.microsoftonline.com (the sandbox passes its own origin). */
  readonly loginBase?: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string;
}

/**
 * The admin consent URL (v1-style endpoint): an administrator who opens it and accepts grants
 * every application permission configured on the app registration, and is sent back to
 * `{redirectUri}?tenant=…&state=…&admin_consent=True` (or `?error=…&error_description=…`).
 */
export function adminConsentUrl(link: AdminConsentLink): string {
  const u = new URL(`${link.loginBase ?? DEFAULT_LOGIN}/${encodeURIComponent(link.tenantId)}/adminconsent`);
  u.searchParams.set('client_id', link.clientId);
  u.searchParams.set('redirect_uri', link.redirectUri);
  u.searchParams.set('state', link.state);
  return u.toString();
}

/** Reads the redirect Entra sent back after admin consent. */
export function parseAdminConsentRedirect(url: string): { ok: true; tenant: string; state: string | null } | { ok: false; error: string; description: string; state: string | null } {
  const u = new URL(url);
  const state = u.searchParams.get('state');
  const error = u.searchParams.get('error');
  if (error || u.searchParams.get('admin_consent') !== 'True') return { ok: false, error: error ?? 'unknown', description: u.searchParams.get('error_description') ?? '', state };
  return { ok: true, tenant: u.searchParams.get('tenant') ?? '', state };
}
