import { randomBytes } from 'node:crypto';
import { newRsaKeyPair, persisted, type KeyPairPem } from '../keys.js';

/**
 * Keys of the simulated Google identities. Service-account keys are RSA-2048; Google names
 * them by a 40-hex-digit `private_key_id`, which it also puts in the JWT `kid` when it signs
 * (signJwt). Persisted so the demo's stored key JSON keeps working across restarts.
 */
export interface SandboxKey extends KeyPairPem {
  readonly keyId: string;
  /** When the key was created (ISO-8601); Google publishes it as the key's certificate notBefore. */
  readonly createdAt?: string;
}

/** Keys persisted before creation times were recorded read as created on the demo's seed date. */
export const LEGACY_KEY_CREATED_AT = '2024-01-15T09:00:00.000Z';

export interface GoogleCredentials {
  /** Google-managed key of the customer's service account: signs signJwt results. */
  readonly customerGoogleManaged: SandboxKey;
  /** The user-managed key an admin downloads as JSON (the service_account_key method). */
  readonly customerUserManaged: SandboxKey;
  /** Syncwarden's token provider's own key (keyless method). */
  readonly tokenProviderUserManaged: SandboxKey;
  /** Google-managed key of the token provider (signJwt on itself; unused by the product). */
  readonly tokenProviderGoogleManaged: SandboxKey;
}

export function newSandboxKey(nowMs: number): SandboxKey {
  // Whole seconds, as Google's validAfterTime and the key's certificate carry it.
  return { ...newRsaKeyPair(), keyId: randomBytes(20).toString('hex'), createdAt: new Date(Math.floor(nowMs / 1000) * 1000).toISOString() };
}

export function loadGoogleCredentials(stateDir: string | undefined, nowMs: number): GoogleCredentials {
  return persisted<GoogleCredentials>(stateDir, 'google-credentials', () => ({
    customerGoogleManaged: newSandboxKey(nowMs),
    customerUserManaged: newSandboxKey(nowMs),
    tokenProviderUserManaged: newSandboxKey(nowMs),
    tokenProviderGoogleManaged: newSandboxKey(nowMs),
  }));
}

/**
 * A service-account key file exactly as the Cloud console issues it (field order included).
 * https://cloud.google.com/iam/docs/keys-create-delete#creating
 */
export function keyFileJson(args: { projectId: string; email: string; clientId: string; key: SandboxKey; tokenUri: string }): string {
  return JSON.stringify(
    {
      type: 'service_account',
      project_id: args.projectId,
      private_key_id: args.key.keyId,
      private_key: args.key.privateKeyPem,
      client_email: args.email,
      client_id: args.clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      // The real file says https://oauth2.googleapis.com/token; google-auth-library ignores it
      // for JWT clients anyway, so we keep the real value rather than the sandbox URL.
      token_uri: args.tokenUri,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(args.email)}`,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
}
