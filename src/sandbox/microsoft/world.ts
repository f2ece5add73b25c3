import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { DEMO, demoPeople } from '../demo.js';
import { newRsaKeyPair, persisted, selfSignedCertificate, thumbprints, toPfxBase64, type KeyPairPem } from '../keys.js';
import type { SandboxContext } from '../types.js';
import { Mailbox } from './mailbox.js';

/** Microsoft Graph application permissions (app roles) and their ids (providers.md §1.7). */
export const GRAPH_APP_ROLES: Readonly<Record<string, string>> = {
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'User.ReadWrite.All': '741f803b-c850-494e-b5df-cde7c675a1ca',
  'Group.Read.All': '5b567255-7703-4780-807c-7be8301ae99b',
  'Group.ReadWrite.All': '62a82d76-70ea-41e2-9197-370581804d09',
  'GroupMember.ReadWrite.All': 'dbaae8cf-10b5-4b86-a4a1-f871c94c6695',
  'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
  'Mail.Read': '810c84a8-4a9e-49e6-bf7d-12d183f40d01',
  'Mail.ReadWrite': 'e2a3a72e-5f79-4c64-b1b1-878b674786c9',
};

export interface RegisteredCertificate {
  readonly keyId: string;
  readonly certificatePem: string;
  readonly sha1B64u: string;
  readonly sha256B64u: string;
  readonly sha1Hex: string;
  readonly notAfter: string;
}

export interface AppRegistration {
  readonly appId: string;
  readonly displayName: string;
  readonly servicePrincipalId: string;
  certificates: RegisteredCertificate[];
  secrets: { keyId: string; value: string; endDateTime: string }[];
  /** Application permissions configured on the app (requested). */
  readonly requiredPermissions: string[];
  /** Application permissions granted with admin consent. */
  granted: Set<string>;
}

export interface EntraUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
  givenName: string;
  surname: string;
  accountEnabled: boolean;
  deleted: boolean;
  index: number;
}

export interface MicrosoftCredentials {
  readonly pfxBase64: string;
  readonly pfxPassword: string;
  readonly certificatePem: string;
  readonly certificateNotAfter: string;
  readonly clientSecret: string;
  readonly clientSecretId: string;
  readonly clientSecretExpiresAt: string;
  /** Entra's own token-signing key. */
  readonly signingKey: KeyPairPem;
}

export interface MicrosoftWorld {
  readonly tenantId: string;
  readonly domain: string;
  readonly app: AppRegistration;
  readonly users: EntraUser[];
  readonly credentials: MicrosoftCredentials;
  readonly mailboxes: Map<string, Mailbox>;
  mailbox(user: EntraUser): Mailbox;
  userByKey(key: string): EntraUser | undefined;
}

/** Deterministic GUID from a seed string (a v4-shaped id; only uniqueness matters here). */
export function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createMicrosoftWorld(ctx: SandboxContext): MicrosoftWorld {
  const credentials = persisted<MicrosoftCredentials>(ctx.stateDir, 'microsoft-credentials', () => {
    const now = ctx.now();
    const cert = selfSignedCertificate('Syncwarden Continuity', new Date(now - 86_400_000), new Date(now + 365 * 86_400_000));
    const pfxPassword = randomBytes(9).toString('base64url');
    return {
      pfxBase64: toPfxBase64(cert, pfxPassword),
      pfxPassword,
      certificatePem: cert.certificatePem,
      certificateNotAfter: cert.notAfter,
      // Secret values look like Entra's: 40 characters with a '~'.
      clientSecret: `${randomBytes(3).toString('base64url')}8Q~${randomBytes(27).toString('base64url').slice(0, 34)}`,
      clientSecretId: guidFrom(`secret-id-${now}`),
      clientSecretExpiresAt: new Date(now + 180 * 86_400_000).toISOString(),
      signingKey: newRsaKeyPair(),
    };
  });
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(credentials.certificatePem))).getBytes(), 'binary');
  const tp = thumbprints(der);
  const app: AppRegistration = {
    appId: DEMO.microsoft.clientId,
    displayName: DEMO.microsoft.appName,
    servicePrincipalId: guidFrom(`sp-${DEMO.microsoft.clientId}`),
    certificates: [{ keyId: guidFrom(`cert-${tp.sha1Hex}`), certificatePem: credentials.certificatePem, sha1B64u: tp.sha1B64u, sha256B64u: tp.sha256B64u, sha1Hex: tp.sha1Hex, notAfter: credentials.certificateNotAfter }],
    secrets: [{ keyId: credentials.clientSecretId, value: credentials.clientSecret, endDateTime: credentials.clientSecretExpiresAt }],
    requiredPermissions: ['User.Read.All', 'Mail.Read'],
    granted: new Set(['User.Read.All', 'Mail.Read']),
  };
  const users: EntraUser[] = demoPeople(ctx.seed, DEMO.userCount).map((p, index) => {
    const upn = `${p.localPart}@${DEMO.domain}`;
    return {
      id: guidFrom(`user-${ctx.seed}-${index}`),
      userPrincipalName: upn,
      mail: upn,
      displayName: `${p.givenName} ${p.surname}`,
      givenName: p.givenName,
      surname: p.surname,
      accountEnabled: true,
      deleted: false,
      index,
    };
  });
  const mailboxes = new Map<string, Mailbox>();
  return {
    tenantId: DEMO.microsoft.tenantId,
    domain: DEMO.domain,
    app,
    users,
    credentials,
    mailboxes,
    mailbox(user) {
      let mb = mailboxes.get(user.id);
      if (!mb) {
        mb = new Mailbox(user, ctx.seed, ctx.now());
        mailboxes.set(user.id, mb);
      }
      return mb;
    },
    userByKey(key) {
      const k = key.toLowerCase();
      return users.find((u) => !u.deleted && (u.id === k || u.userPrincipalName.toLowerCase() === k));
    },
  };
}
