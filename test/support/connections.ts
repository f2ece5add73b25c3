import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';

/** Connection bodies for the sandbox's demo tenant, as an admin would enter them. */
export function m365Body(sandbox: Sandbox, over: { name?: string; config?: Record<string, unknown>; credential?: Record<string, unknown> } = {}) {
  const ms = sandbox.demo.microsoft;
  return {
    kind: 'microsoft365',
    name: over.name ?? 'Northwind M365',
    config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph }, ...over.config },
    credential: over.credential ?? { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
  };
}

export function m365SecretCredential(sandbox: Sandbox, over: Record<string, unknown> = {}) {
  return { type: 'client_secret', clientSecret: sandbox.demo.microsoft.clientSecret, ...over };
}

export function googleBody(sandbox: Sandbox, over: { name?: string; config?: Record<string, unknown>; credential?: Record<string, unknown> } = {}) {
  const g = sandbox.demo.google;
  return {
    kind: 'google_workspace',
    name: over.name ?? 'Northwind Google',
    config: {
      serviceAccountEmail: g.serviceAccountEmail,
      adminEmail: g.adminEmail,
      domain: g.domain,
      endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis },
      ...over.config,
    },
    credential: over.credential ?? { type: 'impersonation' },
  };
}

export function googleKeyCredential(sandbox: Sandbox, over: Record<string, unknown> = {}) {
  return { type: 'service_account_key', keyJson: sandbox.demo.google.serviceAccountKeyJson, ...over };
}

export interface FindingJson {
  check: string;
  label: string;
  status: 'pass' | 'fail' | 'warning' | 'skipped';
  error: { code: string; title: string; message: string; resolution: string } | null;
  detail: string | null;
}

/** The codes the doctor names: every finding that did not pass, with its status. */
export function named(findings: FindingJson[]): string[] {
  return [...new Set(findings.filter((f) => f.status === 'fail' || f.status === 'warning').map((f) => `${f.status}:${f.error?.code ?? f.check}`))].sort();
}

type Over = { name?: string; config?: Record<string, unknown>; credential?: Record<string, unknown> };

/** An Entra ID directory connection to the sandbox's directory-only tenant (fabrikam.test, read grants consented). */
export function entraDirectoryBody(sandbox: Sandbox, over: Over & { tenantId?: string } = {}) {
  const ms = sandbox.demo.microsoft;
  return {
    ...m365Body(sandbox, { name: over.name ?? 'Fabrikam Entra ID', config: { tenantId: over.tenantId ?? ms.directoryTenantId, ...over.config }, ...(over.credential ? { credential: over.credential } : {}) }),
    role: 'directory',
  };
}

/** A Google Workspace directory connection to the demo customer (read-only Directory scopes delegated). */
export function googleDirectoryBody(sandbox: Sandbox, over: Over = {}) {
  return { ...googleBody(sandbox, { name: over.name ?? 'Northwind Google directory', ...(over.config ? { config: over.config } : {}), ...(over.credential ? { credential: over.credential } : {}) }), role: 'directory' };
}

/** An AWS IAM connection to the demo account: the integration user's access key, or assuming SyncwardenAudit with the external id. */
export function awsBody(sandbox: Sandbox, over: Over & { method?: 'access_key' | 'assume_role' } = {}) {
  const a = sandbox.demo.aws;
  const keys = { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
  return {
    kind: 'aws_iam',
    name: over.name ?? 'Northwind AWS',
    role: 'directory',
    config: { accountId: a.accountId, region: a.region, endpoints: { iam: sandbox.urls.aws_iam, sts: sandbox.urls.aws_sts }, ...over.config },
    credential: over.credential ?? (over.method === 'assume_role' ? { type: 'assume_role', ...keys, roleArn: a.roleArn, externalId: a.externalId } : { type: 'access_key', ...keys }),
  };
}

/** A SCIM connection to the sandbox's demo app (Northwind Expenses). */
export function scimBody(sandbox: Sandbox, over: Over = {}) {
  const s = sandbox.demo.scim;
  return {
    kind: 'scim',
    name: over.name ?? 'Northwind Expenses',
    role: 'directory',
    config: { baseUrl: s.baseUrl, ...over.config },
    credential: over.credential ?? { type: 'bearer_token', token: s.token },
  };
}

/**
 * The Syncwarden token provider's key for the keyless Google method, as an installation holds
 * it: a file of the owner's only, named by SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE. Returns
 * that env entry for bootApp/startSyncwarden.
 */
export function tokenProviderKeyEnv(sandbox: Sandbox): { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: string } {
  const keyFile = join(tmpdir(), `sw-tp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
  return { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile };
}
