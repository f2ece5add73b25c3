import type { ServerResponse } from 'node:http';
import { sendText } from '../http.js';
import type { SandboxContext } from '../types.js';
import { AADSTS } from './entra-errors.js';
import { guidFrom, type EntraTenant, type MicrosoftWorld } from './world.js';

/**
 * The admin consent endpoints (providers.md §1.6). The sandbox plays the administrator who
 * signs in and clicks Accept: every application permission configured on the app
 * registration is granted in that tenant (its service principal is created if it had none),
 * and the browser is sent back to the redirect URI. With the fault `m365.consent_denied` the
 * admin cancels instead. Problems Entra shows on its own error page (unknown app, redirect
 * URI not registered) are answered as a 400 page, not a redirect, as Entra does.
 * https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
 */
export function adminConsent(ctx: SandboxContext, world: MicrosoftWorld, tenant: EntraTenant, url: URL, res: ServerResponse, v2: boolean): void {
  const clientId = (url.searchParams.get('client_id') ?? '').toLowerCase();
  const redirect = url.searchParams.get('redirect_uri');
  const state = url.searchParams.get('state');
  const scope = url.searchParams.get('scope');
  const app = world.app;
  if (!clientId) return errorPage(res, AADSTS.missingParam, "The request body must contain the following parameter: 'client_id'.");
  if (clientId !== app.appId || app.deleted) {
    return errorPage(res, AADSTS.appNotFound, `Application with identifier '${clientId}' was not found in the directory '${tenant.directory.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  if (!redirect) return errorPage(res, AADSTS.missingParam, "The request body must contain the following parameter: 'redirect_uri'.");
  let target: URL;
  try {
    target = new URL(redirect);
  } catch {
    return errorPage(res, 90102, `'redirect_uri' value must be a valid absolute URI.`);
  }
  if (app.redirectUris.length > 0 && !app.redirectUris.includes(redirect)) {
    return errorPage(res, AADSTS.redirectMismatch, `The redirect URI '${redirect}' specified in the request does not match the redirect URIs configured for the application '${app.appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`);
  }
  if (v2 && !scope) return errorPage(res, AADSTS.missingParam, "The request body must contain the following parameter: 'scope'.");
  if (ctx.faults.fires(tenant.tenantId, 'm365.consent_denied')) {
    target.searchParams.set('error', 'permission_denied');
    target.searchParams.set('error_description', 'The admin canceled the request');
    if (state !== null) target.searchParams.set('state', state);
    return redirectTo(res, target);
  }
  if (!tenant.consent) tenant.consent = { servicePrincipalId: guidFrom(`sp-${app.appId}-${tenant.tenantId}`), granted: new Set() };
  for (const p of app.requiredPermissions) tenant.consent.granted.add(p);
  target.searchParams.set('tenant', tenant.tenantId);
  if (state !== null) target.searchParams.set('state', state);
  target.searchParams.set('admin_consent', 'True');
  if (v2 && scope) target.searchParams.set('scope', scope);
  redirectTo(res, target);
}

function redirectTo(res: ServerResponse, target: URL): void {
  res.writeHead(302, { location: target.toString(), 'content-length': 0 });
  res.end();
}

function errorPage(res: ServerResponse, code: number, message: string): void {
  const text = `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><div id="error">AADSTS${code}: ${escape(message)}</div></body></html>`;
  sendText(res, 400, text, 'text/html; charset=utf-8');
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
