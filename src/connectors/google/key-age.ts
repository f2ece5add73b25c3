import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorContext } from '../sdk/index.js';
import { parseKeyJson, type GoogleConnectorConfig, type GoogleEndpoints } from './config.js';

/**
 * How old the service-account key is, learnt from the key file alone: Google publishes the
 * public certificate of every key, unauthenticated, at
 * www.googleapis.com/robot/v1/metadata/x509/{email}, keyed by the key id (the key file's
 * private_key_id); the certificate's validity is the key's (notBefore = creation; a key
 * without an expiry policy runs to 9999-12-31). IAM's keys.get would say the same but needs
 * IAM permissions the connection does not have.
 * https://cloud.google.com/iam/docs/service-account-creds#key-types (M: validity = key validity)
 */
export interface KeyCertificate {
  readonly keyId: string;
  readonly createdAt: string;
  /** null when the key never expires. */
  readonly expiresAt: string | null;
}

const certsSchema = z.record(z.string(), z.string());

/** The key's certificate dates, or null (keyless method, no key id, or Google does not publish it). */
export async function keyCertificate(ctx: ConnectorContext, config: GoogleConnectorConfig, endpoints: GoogleEndpoints): Promise<KeyCertificate | null> {
  if (config.auth.type !== 'service_account_key') return null;
  let key;
  try {
    key = parseKeyJson(config.auth.keyJson, 'service account key');
  } catch {
    return null;
  }
  if (!key.private_key_id) return null;
  try {
    const res = await ctx.http.request({ method: 'GET', url: `${endpoints.certs}/robot/v1/metadata/x509/${encodeURIComponent(key.client_email)}`, timeoutMs: 15_000 });
    if (res.status !== 200) return null;
    const certs = certsSchema.safeParse(res.json());
    const pem = certs.success ? certs.data[key.private_key_id] : undefined;
    if (!pem) return null;
    const cert = new X509Certificate(pem);
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (Number.isNaN(from)) return null;
    return { keyId: key.private_key_id, createdAt: new Date(from).toISOString(), expiresAt: Number.isNaN(to) || new Date(to).getUTCFullYear() >= 9999 ? null : new Date(to).toISOString() };
  } catch {
    // Best effort: the age is a detail, not a prerequisite.
    return null;
  }
}

/** "key 1a2b3c4d… created 2024-01-15 (412 days ago), never expires" */
export function describeKeyAge(k: KeyCertificate, now: Date): string {
  const days = Math.floor((now.getTime() - Date.parse(k.createdAt)) / 86_400_000);
  const expiry = k.expiresAt ? `expires ${k.expiresAt.slice(0, 10)}` : 'never expires';
  return `key ${k.keyId.slice(0, 8)}… created ${k.createdAt.slice(0, 10)} (${days} day${days === 1 ? '' : 's'} ago), ${expiry}`;
}
