import type { ServerResponse } from 'node:http';
import { selfSignedCertificate } from '../keys.js';
import { sendJson } from '../http.js';
import { LEGACY_KEY_CREATED_AT, type SandboxKey } from './credentials.js';
import type { GoogleSim } from './sim.js';

/**
 * The public certificates of a service account's keys, as Google publishes them without
 * authentication at https://www.googleapis.com/robot/v1/metadata/x509/{email}: a JSON object
 * from key id (the key file's private_key_id) to a PEM certificate whose validity is the
 * key's (notBefore = creation; a user-managed key without an expiry policy runs to
 * 9999-12-31). That is how a key's age can be learnt from its key file alone.
 * https://cloud.google.com/iam/docs/service-account-creds#public-keys (M: validity = key validity)
 */
const USER_KEY_NOT_AFTER = new Date('9999-12-31T23:59:59Z');
const certs = new WeakMap<SandboxKey, string>();

function certificateOf(email: string, key: SandboxKey, notBefore: Date, notAfter: Date): string {
  let pem = certs.get(key);
  if (!pem) {
    pem = selfSignedCertificate(email, notBefore, notAfter, key).certificatePem;
    certs.set(key, pem);
  }
  return pem;
}

export function serveX509(sim: GoogleSim, res: ServerResponse, email: string): void {
  const sa = sim.serviceAccount(email);
  if (!sa) return sendJson(res, 404, { error: { code: 404, message: `Not found; Gaia id not found for email ${email}`, status: 'NOT_FOUND' } });
  const out: Record<string, string> = {};
  for (const k of sim.userManagedKeys(sa)) out[k.keyId] = certificateOf(sa.email, k, new Date(k.createdAt ?? LEGACY_KEY_CREATED_AT), USER_KEY_NOT_AFTER);
  // Google-managed keys rotate about every two weeks.
  const now = sim.now();
  out[sa.googleManagedKey.keyId] = certificateOf(sa.email, sa.googleManagedKey, new Date(now - 86_400_000), new Date(now + 13 * 86_400_000));
  sendJson(res, 200, out, { 'cache-control': 'public, max-age=20927, must-revalidate, no-transform' });
}
