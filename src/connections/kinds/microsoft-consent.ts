/**
 * The Entra ID admin-consent link, in one place until the Microsoft connector exports its own
 * `adminConsentUrl` helper (branch msdir); then this file should delegate to it.
 *
 * The v1-style endpoint grants every application permission configured on the app
 * registration, which is what a daemon app needs (there is no per-permission consent for
 * application permissions):
 *   GET https://login.microsoftonline.com/{tenant}/adminconsent?client_id=…&redirect_uri=…&state=…
 * https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
 * The admin lands on redirect_uri with `admin_consent=True&tenant=…&state=…`, or with
 * `error=…&error_description=…` when consent was refused.
 */
export const ENTRA_LOGIN = 'https://login.microsoftonline.com';

export function adminConsentUrl(args: { loginBase?: string | undefined; tenant: string; clientId: string; redirectUri: string; state: string }): string {
  const base = (args.loginBase ?? ENTRA_LOGIN).replace(/\/+$/, '');
  const q = new URLSearchParams({ client_id: args.clientId, redirect_uri: args.redirectUri, state: args.state });
  return `${base}/${encodeURIComponent(args.tenant)}/adminconsent?${q.toString()}`;
}
