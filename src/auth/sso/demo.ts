import type { Runtime } from '../../runtime/context.js';
import type { Sandbox } from '../../sandbox/server.js';
import { runActing } from '../context.js';
import { createUser, findUserByEmail } from '../users.js';
import { updateSsoSettings } from './settings.js';

/**
 * The demo's single sign-on (`npm start`): both providers configured against the sandbox —
 * Entra ID's home tenant (northwind.test) through the app registration, Google through the
 * sandbox's OAuth web client, bound to the northwind.test hosted domain — once, when the
 * tenant has no SSO settings yet (an admin's later changes stay).
 */
export async function ensureDemoSso(rt: Runtime, tenantId: string, sandbox: Sandbox): Promise<boolean> {
  const any = await rt.store.db.selectFrom('sso_providers').select('provider').where('tenant_id', '=', tenantId).executeTakeFirst();
  if (any) return false;
  const ms = sandbox.demo.microsoft;
  const g = sandbox.demo.google;
  await runActing({ actor: 'system', address: null, userAgent: null }, () => updateSsoSettings(rt, tenantId, {
    providers: {
      microsoft: { enabled: true, clientId: ms.clientId, clientSecret: ms.clientSecret, directory: ms.tenantId, authority: sandbox.urls.entra_login },
      google: { enabled: true, clientId: g.signIn.clientId, clientSecret: g.signIn.clientSecret, directory: g.domain, authority: sandbox.urls.google_oauth },
    },
  }));
  return true;
}

/**
 * A second demo user, an admin, whose email is a person of the sandbox's directories (in
 * Entra ID and in Google Workspace): "Sign in with Microsoft" / "Sign in with Google" with
 * that person (password `sandbox-password` on the sandbox's page) signs in as them. Made after
 * the first owner, so first start still makes the owner and prints its link.
 */
export async function ensureDemoSsoUser(rt: Runtime, tenantId: string, sandbox: Sandbox, publicUrl: string | null = null): Promise<string | null> {
  // Served on another address than loopback: the sandbox's clients get that callback registered too.
  if (publicUrl) {
    for (const p of ['microsoft', 'google']) {
      await fetch(`${sandbox.urls.admin}/${p}/sign-in/redirect-uris`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: `${publicUrl.replace(/\/+$/, '')}/api/v1/auth/sso/${p}/callback` }),
      });
    }
  }
  const email = sandbox.demo.microsoft.signInUserEmail;
  if (await findUserByEmail(rt, email)) return null;
  // Only in a demo whose SSO is the one wired above: an installation that changed it is left alone.
  const ms = await rt.store.db.selectFrom('sso_providers').select('authority').where('tenant_id', '=', tenantId).where('provider', '=', 'microsoft').executeTakeFirst();
  if (ms?.authority !== sandbox.urls.entra_login) return null;
  await runActing({ actor: 'system', address: null, userAgent: null }, () => createUser(rt, tenantId, { email, role: 'admin', displayName: 'Demo SSO admin' }, null));
  return email;
}
