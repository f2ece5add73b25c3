import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Runtime } from '../../runtime/context.js';
import { AppError } from '../../errors/index.js';
import { newId, nowIso } from '../../model/ids.js';
import { recordAudit } from '../../audit/audit.js';
import { runActing } from '../context.js';
import { newSecret, secretHash } from '../secrets.js';
import { createSession, type ClientMeta, type NewSession, type SessionSettings } from '../sessions.js';
import { roleOf } from '../users.js';
import { DEFAULT_AUTHORITY, PROVIDER_NAMES, clientSecretOf, providerSettings, type ProviderSettings, type SsoProvider } from './settings.js';

/**
 * The OpenID Connect authorization code flow with PKCE (S256) for "Sign in with Microsoft" and
 * "Sign in with Google" (issue 12, point 1).
 *
 * start: a random `state` (its hash stored with the nonce, the PKCE verifier and the redirect
 * URI, for ten minutes) bound to a random pre-session cookie (its hash stored too), so a state
 * carried to another browser, or used twice, signs nobody in.
 * callback: the state is spent (once, atomically), the code redeemed at the token endpoint
 * with the verifier and the client secret, and the id_token checked — signature against the
 * provider's JWKS, `iss`, `aud` = client id, `nonce`, `exp`/`nbf`/`iat` with two minutes of
 * skew; Entra: the issuer and `tid` of the configured directory; Google: issuer
 * accounts.google.com, `email_verified`, `hd` when a hosted domain is configured. The person is
 * then the Syncwarden user linked to that subject (Entra `tid`/`oid`, Google `sub`), or the
 * one whose email matches — linked from then on. The callback creates a session and changes
 * nothing else; success and every refusal are audited.
 */
export const ATTEMPT_TTL_MS = 10 * 60_000;
const SKEW_S = 120;

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

const discoveryCache = new Map<string, { at: number; doc: Discovery }>();
const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function discoveryUrl(s: ProviderSettings): string {
  const authority = (s.authority || DEFAULT_AUTHORITY[s.provider]).replace(/\/+$/, '');
  return s.provider === 'microsoft' ? `${authority}/${s.directory}/v2.0/.well-known/openid-configuration` : `${authority}/.well-known/openid-configuration`;
}

async function discover(s: ProviderSettings): Promise<Discovery> {
  const url = discoveryUrl(s);
  const hit = discoveryCache.get(url);
  if (hit && Date.now() - hit.at < 5 * 60_000) return hit.doc;
  let doc: Discovery;
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
    doc = (await res.json()) as Discovery;
  } catch (e) {
    throw new AppError('auth.sso_provider_error', { provider: PROVIDER_NAMES[s.provider], detail: `its OpenID configuration could not be read (${(e as Error).message})` });
  }
  if (!doc.authorization_endpoint || !doc.token_endpoint || !doc.jwks_uri) {
    throw new AppError('auth.sso_provider_error', { provider: PROVIDER_NAMES[s.provider], detail: `its OpenID configuration at ${url} lacks an endpoint` });
  }
  discoveryCache.set(url, { at: Date.now(), doc });
  return doc;
}

function jwksOf(uri: string) {
  let j = jwksCache.get(uri);
  if (!j) {
    j = createRemoteJWKSet(new URL(uri), { timeoutDuration: 15_000, cooldownDuration: 30_000 });
    jwksCache.set(uri, j);
  }
  return j;
}

async function enabledSettings(rt: Runtime, tenantId: string, provider: SsoProvider): Promise<{ settings: ProviderSettings; secret: string }> {
  const settings = await providerSettings(rt, tenantId, provider);
  const secret = settings?.enabled && settings.clientId ? await clientSecretOf(rt, tenantId, provider) : null;
  if (!settings || !settings.enabled || !secret) throw new AppError('auth.sso_not_configured', { provider: PROVIDER_NAMES[provider] });
  return { settings, secret };
}

export interface StartedSso {
  /** Where the browser goes: the provider's authorize endpoint. */
  readonly url: string;
  /** The pre-session cookie's value (HttpOnly, ten minutes). */
  readonly binding: string;
}

export async function startSso(rt: Runtime, tenantId: string, provider: SsoProvider, redirectUri: string): Promise<StartedSso> {
  const { settings } = await enabledSettings(rt, tenantId, provider);
  const doc = await discover(settings);
  const state = newSecret('sst');
  const binding = newSecret('ssb');
  const nonce = randomBytes(24).toString('base64url');
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const now = rt.now();
  // Spent and expired attempts are of no use to anyone: drop them as new ones come.
  await rt.store.db.deleteFrom('sso_attempts').where('expires_at', '<', nowIso(now - ATTEMPT_TTL_MS)).execute();
  await rt.store.db.insertInto('sso_attempts').values({
    id: newId('sso', now), state_hash: secretHash(state), binding_hash: secretHash(binding), tenant_id: tenantId, provider,
    nonce, code_verifier: verifier, redirect_uri: redirectUri, created_at: nowIso(now), expires_at: nowIso(now + ATTEMPT_TTL_MS), used_at: null,
  }).execute();
  const u = new URL(doc.authorization_endpoint);
  const q = u.searchParams;
  q.set('client_id', settings.clientId);
  q.set('response_type', 'code');
  q.set('redirect_uri', redirectUri);
  q.set('scope', 'openid email profile');
  q.set('state', state);
  q.set('nonce', nonce);
  q.set('code_challenge', challenge);
  q.set('code_challenge_method', 'S256');
  if (provider === 'microsoft') q.set('response_mode', 'query');
  if (provider === 'google' && settings.directory) q.set('hd', settings.directory);
  q.set('prompt', 'select_account');
  return { url: u.toString(), binding };
}

export interface CallbackInput {
  readonly code?: string | undefined;
  readonly state?: string | undefined;
  readonly error?: string | undefined;
  readonly error_description?: string | undefined;
}

export interface SsoSignedIn {
  readonly session: NewSession;
  readonly userId: string;
  readonly email: string;
  readonly tenantId: string;
}

async function audit(rt: Runtime, tenantId: string, meta: ClientMeta, actor: string, ok: boolean, message: string, target?: { id: string; name: string }): Promise<void> {
  await runActing({ actor, address: meta.address, userAgent: meta.userAgent }, () => recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: ok ? 'info' : 'warning', action: ok ? 'auth.signed_in' : 'auth.sign_in_failed', actor, message,
    ...(target ? { target: { type: 'user', ...target } } : {}),
  }, rt.now()));
}

/** The callback: a session for the person, or a catalogue error (audited either way). */
export async function finishSso(rt: Runtime, provider: SsoProvider, input: CallbackInput, binding: string | undefined, meta: ClientMeta, sessions: SessionSettings, fallbackTenant: string): Promise<SsoSignedIn> {
  let tenantId = fallbackTenant;
  let who: { id: string; name: string } | undefined;
  try {
    const attempt = await spendAttempt(rt, provider, input.state, binding);
    tenantId = attempt.tenant_id;
    if (input.error) {
      throw new AppError('auth.sso_provider_error', { provider: PROVIDER_NAMES[provider], detail: `${input.error}${input.error_description ? `: ${input.error_description.split(/\r?\n/)[0]}` : ''}` });
    }
    if (!input.code) throw new AppError('auth.sso_provider_error', { provider: PROVIDER_NAMES[provider], detail: 'no authorization code in the answer' });
    const { settings, secret } = await enabledSettings(rt, tenantId, provider);
    const doc = await discover(settings);
    const idToken = await redeemCode(settings, secret, doc, input.code, attempt.code_verifier, attempt.redirect_uri);
    const claims = await verifyIdToken(rt, settings, doc, idToken, attempt.nonce);
    const person = identityOf(provider, claims);
    const user = await matchUser(rt, provider, person);
    if (user) who = { id: user.id, name: user.email };
    const role = user ? await roleOf(rt, tenantId, user.id) : null;
    if (!user || user.disabled_at !== null || !role) {
      throw new AppError('auth.sso_no_account', { provider: PROVIDER_NAMES[provider], email: person.email ?? person.subject });
    }
    await linkIdentity(rt, provider, person, user);
    const session = await createSession(rt, user.id, tenantId, meta, sessions);
    await audit(rt, tenantId, meta, `user:${user.email}`, true, `${user.email} signed in with ${PROVIDER_NAMES[provider]}`, who);
    return { session, userId: user.id, email: user.email, tenantId };
  } catch (e) {
    const why = e instanceof AppError ? `${e.code}: ${e.message}` : (e as Error).message;
    await audit(rt, tenantId, meta, 'anonymous', false, `Sign-in with ${PROVIDER_NAMES[provider]} refused (${why})`, who);
    throw e;
  }
}

async function spendAttempt(rt: Runtime, provider: SsoProvider, state: string | undefined, binding: string | undefined) {
  const fail = (reason: string) => new AppError('auth.sso_state_invalid', { reason });
  if (!state) throw fail('no state');
  const row = await rt.store.db.selectFrom('sso_attempts').selectAll().where('state_hash', '=', secretHash(state)).executeTakeFirst();
  if (!row) throw fail('unknown state');
  if (row.provider !== provider) throw fail('started for another provider');
  if (row.used_at !== null) throw fail('already used');
  if (row.expires_at <= nowIso(rt.now())) throw fail('expired');
  if (!binding || secretHash(binding) !== row.binding_hash) throw fail('started in another browser');
  const spent = await rt.store.db.updateTable('sso_attempts').set({ used_at: nowIso(rt.now()) }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) throw fail('already used');
  return row;
}

async function redeemCode(s: ProviderSettings, secret: string, doc: Discovery, code: string, verifier: string, redirectUri: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: s.clientId, client_secret: secret, code_verifier: verifier });
  if (s.provider === 'microsoft') form.set('scope', 'openid email profile');
  let res: Response;
  try {
    res = await fetch(doc.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString(), signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new AppError('auth.sso_provider_error', { provider: PROVIDER_NAMES[s.provider], detail: `its token endpoint could not be reached (${(e as Error).message})` });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body['id_token'] !== 'string') {
    const desc = typeof body['error_description'] === 'string' ? body['error_description'].split(/\r?\n/)[0] : '';
    throw new AppError('auth.sso_provider_error', { provider: PROVIDER_NAMES[s.provider], detail: `the code was not redeemed: ${String(body['error'] ?? `HTTP ${res.status}`)}${desc ? ` (${desc})` : ''}` });
  }
  return body['id_token'];
}

function expectedIssuers(s: ProviderSettings): string[] {
  return s.provider === 'microsoft' ? [`https://login.microsoftonline.com/${s.directory}/v2.0`] : ['https://accounts.google.com', 'accounts.google.com'];
}

/** Checks an id_token; throws auth.sso_token_invalid naming the first check that failed. */
export async function verifyIdToken(rt: Runtime, s: ProviderSettings, doc: Discovery, idToken: string, nonce: string): Promise<JWTPayload> {
  const bad = (reason: string) => new AppError('auth.sso_token_invalid', { provider: PROVIDER_NAMES[s.provider], reason });
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, jwksOf(doc.jwks_uri), {
      algorithms: ['RS256'],
      issuer: expectedIssuers(s),
      audience: s.clientId,
      clockTolerance: SKEW_S,
      currentDate: new Date(rt.now()),
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat'],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw bad('expired');
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      const claim = e.claim;
      throw bad(claim === 'iss' ? 'wrong issuer' : claim === 'aud' ? 'wrong audience' : claim === 'nbf' ? 'not yet valid' : `claim ${claim}: ${e.reason}`);
    }
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw bad('signature does not verify against the provider\'s keys');
    if (e instanceof joseErrors.JWKSNoMatchingKey) throw bad('signed with a key the provider does not publish');
    throw bad((e as Error).message);
  }
  const nowS = Math.floor(rt.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > nowS + SKEW_S) throw bad('issued in the future');
  if (payload['nonce'] !== nonce) throw bad('wrong nonce');
  if (s.provider === 'microsoft') {
    if (payload['tid'] !== s.directory) throw bad(`directory ${String(payload['tid'])} is not the configured one`);
    if (typeof payload['oid'] !== 'string') throw bad('no object id');
  } else {
    if (payload['email_verified'] !== true) throw bad('email not verified');
    if (s.directory && String(payload['hd'] ?? '').toLowerCase() !== s.directory.toLowerCase()) throw bad(`hosted domain ${String(payload['hd'] ?? '(none)')} is not ${s.directory}`);
  }
  return payload;
}

interface Person {
  /** Entra: `<tid>/<oid>`; Google: `sub`. */
  readonly subject: string;
  readonly email: string | null;
}

function identityOf(provider: SsoProvider, c: JWTPayload): Person {
  if (provider === 'microsoft') {
    // Entra's `email` claim is a mutable attribute, not proof of ownership ("nOAuth"): it names
    // the person only with `xms_edov` (the email's domain is verified by its tenant). Otherwise
    // the UPN of a member of the pinned directory (tid checked above), whose domain that
    // directory verified; a guest's `#EXT#` UPN names nobody.
    const verifiedEmail = typeof c['email'] === 'string' && c['xms_edov'] === true ? c['email'] : null;
    const upn = typeof c['preferred_username'] === 'string' && !c['preferred_username'].includes('#EXT#') ? c['preferred_username'] : null;
    const email = verifiedEmail ?? upn;
    return { subject: `${String(c['tid'])}/${String(c['oid'])}`, email: email?.toLowerCase() ?? null };
  }
  return { subject: String(c.sub), email: typeof c['email'] === 'string' ? c['email'].toLowerCase() : null };
}

async function matchUser(rt: Runtime, provider: SsoProvider, p: Person) {
  const link = await rt.store.db.selectFrom('sso_identities').select('user_id').where('provider', '=', provider).where('subject', '=', p.subject).executeTakeFirst();
  if (link) return rt.store.db.selectFrom('users').selectAll().where('id', '=', link.user_id).executeTakeFirst();
  if (!p.email) return undefined;
  return rt.store.db.selectFrom('users').selectAll().where('email', '=', p.email).executeTakeFirst();
}

async function linkIdentity(rt: Runtime, provider: SsoProvider, p: Person, user: { id: string; email: string }): Promise<void> {
  await rt.store.db.insertInto('sso_identities').values({ provider, subject: p.subject, user_id: user.id, email: user.email, created_at: nowIso(rt.now()) })
    .onConflict((oc) => oc.columns(['provider', 'subject']).doNothing()).execute();
}
