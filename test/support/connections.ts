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
