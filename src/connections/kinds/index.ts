import type { HttpClientOptions } from '../../connectors/sdk/index.js';
import { AppError } from '../../errors/index.js';
import { microsoft365Kind } from './microsoft365.js';
import { googleWorkspaceKind } from './google-workspace.js';
import { awsIamKind } from './aws-iam.js';
import { scimKind } from './scim.js';
import { connectionKinds, connectionRoles, type ConnectionKind, type ConnectionRole, type CredentialMethodSpec, type KindSpec, type RoleSpec, type Checkable } from './types.js';

/**
 * The registry: one entry per connection kind. Adding a kind is one entry here plus its file
 * (config schema, credential methods, roles with their connector builders and permissions).
 */
export const kindSpecs: Readonly<Record<ConnectionKind, KindSpec>> = {
  microsoft365: microsoft365Kind,
  google_workspace: googleWorkspaceKind,
  aws_iam: awsIamKind,
  scim: scimKind,
};

export function isConnectionKind(k: string): k is ConnectionKind {
  return (connectionKinds as readonly string[]).includes(k);
}

export function isConnectionRole(r: string): r is ConnectionRole {
  return (connectionRoles as readonly string[]).includes(r);
}

export function kindSpec(kind: string): KindSpec {
  if (!isConnectionKind(kind)) throw new AppError('request.invalid', { detail: `unknown connection kind ${kind}` });
  return kindSpecs[kind];
}

export function roleSpec(kind: KindSpec, role: string): RoleSpec<Checkable> {
  const spec = isConnectionRole(role) ? (kind.roles[role] as RoleSpec<Checkable> | undefined) : undefined;
  if (!spec) throw new AppError('request.invalid', { detail: `a ${kind.displayName} connection cannot have the role ${role}; it can be ${Object.keys(kind.roles).join(' or ')}` });
  return spec;
}

/** The provider's name for an admin in this role: 'Microsoft Entra ID' for a Microsoft 365 directory connection. */
export function kindDisplayName(kind: string, role: string): string {
  const spec = kindSpec(kind);
  const r = isConnectionRole(role) ? (spec.roles[role] as RoleSpec<Checkable> | undefined) : undefined;
  return r?.displayName ?? spec.displayName;
}

export function methodSpec(kind: KindSpec, method: string): CredentialMethodSpec {
  const spec = kind.methods[method];
  if (!spec) throw new AppError('request.invalid', { detail: `credential.type: a ${kind.displayName} connection signs in with ${Object.keys(kind.methods).join(' or ')}, not ${method}` });
  return spec;
}

export { connectionKinds, connectionRoles };
export type { ConnectionKind, ConnectionRole, KindSpec, CredentialMethodSpec } from './types.js';

/** The HTTP client settings of a kind (provider name for messages, its throttle signals). */
export function httpOptionsFor(kind: string): HttpClientOptions {
  const spec = kindSpec(kind);
  return { provider: spec.http.provider, ...(spec.http.isThrottle ? { isThrottle: spec.http.isThrottle } : {}) };
}
