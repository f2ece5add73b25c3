import { toAppError } from '../../errors/index.js';
import type { CheckResult } from '../sdk/index.js';
import { parseKeyJson, type GoogleConnectorConfig, type GoogleDirectoryConfig } from './config.js';
import type { TokenSource } from './token.js';

/**
 * Steps 1 and 2 of both Google doctors (the mail destination's and the directory
 * connection's): the credential Syncwarden holds, then the identity that signs delegation
 * JWTs — the token provider and its Token Creator role on the service account (keyless), or
 * the service account's own key. Both doctors ask the same questions of the same setup, so
 * an admin reads the same findings, in the same order, on either page.
 */
export interface Findings {
  readonly out: CheckResult[];
  pass(id: string, label: string, detail?: string): void;
  fail(id: string, label: string, e: unknown, detail?: string): void;
  skip(id: string, label: string, detail: string): void;
  has(id: string): boolean;
}

export function findings(): Findings {
  const out: CheckResult[] = [];
  return {
    out,
    pass: (id, label, detail) => void out.push({ id, label, status: 'pass', ...(detail ? { detail } : {}) }),
    fail: (id, label, e, detail) => void out.push({ id, label, status: 'fail', error: toAppError(e).toJSON(), ...(detail ? { detail } : {}) }),
    skip: (id, label, detail) => void out.push({ id, label, status: 'skipped', detail }),
    has: (id) => out.some((c) => c.id === id),
  };
}

type Config = Pick<GoogleConnectorConfig | GoogleDirectoryConfig, 'auth' | 'serviceAccountEmail' | 'adminEmail'>;

export function signInLabels(config: Config, tokens: Pick<TokenSource, 'serviceAccountEmail'>) {
  const keyless = config.auth.type === 'impersonation';
  return {
    credential: keyless ? 'Read the Syncwarden token provider key' : 'Read the service-account key file',
    tokenProvider: 'Sign in as the Syncwarden token provider',
    iamApi: 'IAM Service Account Credentials API answers',
    serviceAccount: keyless ? `Service account ${config.serviceAccountEmail} exists` : `Sign in as ${tokens.serviceAccountEmail} with its key`,
    tokenCreator: `Token provider may sign as ${config.serviceAccountEmail} (Service Account Token Creator)`,
  };
}

export interface SignInCheck {
  config: Config;
  tokens: TokenSource;
  now: () => Date;
  /** The scope of the delegation JWT the keyless method test-signs (one the connection needs). */
  scope: string;
  /** More about the key (its age), for the credential finding; may throw like a bad key. */
  describeKey?: () => Promise<string | null>;
  /** Skips every check not yet reported, with the reason. */
  downstream: (detail: string) => void;
}

/** Runs steps 1 and 2 into `f`; false when a later check cannot run (the rest are skipped). */
export async function checkSignIn(f: Findings, c: SignInCheck): Promise<boolean> {
  const { config, tokens } = c;
  const keyless = config.auth.type === 'impersonation';
  const L = signInLabels(config, tokens);

  // 1. The credential Syncwarden holds (and, for a key, how old it is).
  try {
    const key = config.auth.type === 'impersonation' ? parseKeyJson(config.auth.tokenProviderKeyJson, 'token provider key') : parseKeyJson(config.auth.keyJson, 'service account key');
    const more = keyless ? null : ((await c.describeKey?.()) ?? null);
    if (!keyless && key.client_email.toLowerCase() !== config.serviceAccountEmail) {
      f.out.push({ id: 'credential', label: L.credential, status: 'warning', detail: `the key belongs to ${key.client_email}, not ${config.serviceAccountEmail}; Syncwarden signs in as ${key.client_email}${more ? `; ${more}` : ''}` });
    } else f.pass('credential', L.credential, more ? `${key.client_email}; ${more}` : key.client_email);
  } catch (e) {
    f.fail('credential', L.credential, e);
    c.downstream('needs a readable credential');
    return false;
  }

  // 2. The identity that signs delegation JWTs.
  if (keyless) {
    try {
      await tokens.tokenProvider();
      f.pass('token_provider', L.tokenProvider);
    } catch (e) {
      f.fail('token_provider', L.tokenProvider, e);
      c.downstream('needs the token provider to sign in');
      return false;
    }
    const nowS = Math.floor(c.now().getTime() / 1000);
    try {
      await tokens.signAsServiceAccount({ iss: config.serviceAccountEmail, sub: config.adminEmail, scope: c.scope, aud: tokens.audience, iat: nowS, exp: nowS + 3600 });
      f.pass('api:iamcredentials', L.iamApi);
      f.pass('service_account', L.serviceAccount);
      f.pass('token_creator', L.tokenCreator);
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'google.api_disabled') f.fail('api:iamcredentials', L.iamApi, err);
      else f.pass('api:iamcredentials', L.iamApi);
      if (err.code === 'google.service_account_not_found' || err.code === 'google.service_account_disabled') f.fail('service_account', L.serviceAccount, err);
      else if (err.code !== 'google.api_disabled') f.fail('token_creator', L.tokenCreator, err);
      c.downstream('needs the token provider to sign as the service account');
      return false;
    }
    return true;
  }
  f.skip('token_provider', L.tokenProvider, 'not used by the service-account key method');
  f.skip('api:iamcredentials', L.iamApi, 'not used by the service-account key method');
  f.skip('token_creator', L.tokenCreator, 'not used by the service-account key method');
  try {
    await tokens.serviceAccountSelf();
    f.pass('service_account', L.serviceAccount);
  } catch (e) {
    f.fail('service_account', L.serviceAccount, e);
    c.downstream('needs the service account to sign in');
    return false;
  }
  return true;
}

/**
 * The Admin SDK step of both doctors: reading the admin's own user ('api:admin': is the Admin
 * SDK API on?), then `judge` says whether that admin may do what the connection needs
 * ('admin'). Any answer but "API disabled" means the API answered.
 */
export async function checkAdminApi<T>(f: Findings, labels: { adminApi: string; admin: string }, read: () => Promise<T>, judge: (me: T) => void): Promise<void> {
  let me: T;
  try {
    me = await read();
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'google.api_disabled') {
      f.fail('api:admin', labels.adminApi, err);
      f.skip('admin', labels.admin, 'needs the Admin SDK API');
    } else {
      f.pass('api:admin', labels.adminApi);
      f.fail('admin', labels.admin, err);
    }
    return;
  }
  f.pass('api:admin', labels.adminApi);
  judge(me);
}
