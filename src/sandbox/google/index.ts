import { DEMO } from '../demo.js';
import type { SandboxContext, VendorSandbox } from '../types.js';
import { googleAdmin } from './admin.js';
import { apisService } from './apis.js';
import { keyFileJson, loadGoogleCredentials } from './credentials.js';
import { iamService } from './iam.js';
import { oauthService } from './oauth.js';
import { createGoogleSignIn } from './oauth-signin.js';
import { redirectUrisAdmin } from '../oidc.js';
import { readBody } from '../http.js';
import { createSim } from './sim.js';
import { DEMO_CONTINUITY_SCOPES, DEMO_DIRECTORY_SCOPES, seedWorld } from './world.js';

/**
 * Google's side of the sandbox: OAuth token endpoint (`google_oauth`), IAM Service Account
 * Credentials (`google_iam`), and Admin SDK Directory + Gmail + the public key certificates
 * (`google_apis`). The admin API under /google/ adds customers (a generated large one),
 * directory objects, delegation, APIs, IAM bindings, service accounts, keys and quotas.
 */
export interface GoogleDemo {
  readonly domain: string;
  readonly customerId: string;
  readonly projectId: string;
  readonly projectNumber: string;
  readonly serviceAccountEmail: string;
  readonly serviceAccountClientId: string;
  readonly adminEmail: string;
  readonly tokenProviderEmail: string;
  /** Syncwarden's token provider key file (keyless method). */
  readonly tokenProviderKeyJson: string;
  /** A user-managed key file of the customer's service account (service_account_key method). */
  readonly serviceAccountKeyJson: string;
  /** The scopes continuity needs, authorised for domain-wide delegation. */
  readonly delegatedScopes: string[];
  /** The read-only Directory scopes also authorised (the identity inventory's). */
  readonly directoryScopes: string[];
  /** "Sign in with Google": the OAuth web client registered for Syncwarden's SSO (oauth-signin.ts). */
  readonly signIn: { readonly clientId: string; readonly clientSecret: string };
}

export async function createGoogleSandbox(ctx: SandboxContext): Promise<VendorSandbox<GoogleDemo>> {
  const creds = loadGoogleCredentials(ctx.stateDir, ctx.now());
  const world = seedWorld(ctx, creds);
  const sim = createSim(ctx, world);
  const g = DEMO.google;
  const tp = world.serviceAccounts.get(DEMO.tokenProvider.email)!;
  const tokenUri = 'https://oauth2.googleapis.com/token';
  const signIn = createGoogleSignIn(sim);
  const admin = googleAdmin(sim);
  return {
    services: { google_oauth: oauthService(sim, signIn), google_iam: iamService(sim), google_apis: apisService(sim) },
    admin: async (req, res, path) => {
      if (path === '/google/sign-in/redirect-uris') {
        const body = req.method === 'POST' ? (JSON.parse((await readBody(req, 1 << 16)).toString('utf8') || '{}') as Record<string, unknown>) : {};
        redirectUrisAdmin(res, req.method ?? 'GET', body, signIn.redirectUris);
        return true;
      }
      return admin(req, res, path);
    },
    demo: {
      domain: DEMO.domain,
      customerId: g.customerId,
      projectId: g.projectId,
      projectNumber: g.projectNumber,
      serviceAccountEmail: g.serviceAccountEmail,
      serviceAccountClientId: g.serviceAccountClientId,
      adminEmail: g.adminEmail,
      tokenProviderEmail: DEMO.tokenProvider.email,
      tokenProviderKeyJson: keyFileJson({ projectId: DEMO.tokenProvider.projectId, email: tp.email, clientId: tp.uniqueId, key: creds.tokenProviderUserManaged, tokenUri }),
      serviceAccountKeyJson: keyFileJson({ projectId: g.projectId, email: g.serviceAccountEmail, clientId: g.serviceAccountClientId, key: creds.customerUserManaged, tokenUri }),
      delegatedScopes: [...DEMO_CONTINUITY_SCOPES],
      directoryScopes: [...DEMO_DIRECTORY_SCOPES],
      signIn: { clientId: signIn.clientId, clientSecret: signIn.clientSecret },
    },
  };
}
