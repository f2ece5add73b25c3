import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { DEMO, demoPeople } from '../demo.js';
import { newRsaKeyPair, persisted, selfSignedCertificate, thumbprints, toPfxBase64, type KeyPairPem } from '../keys.js';
import type { SandboxContext } from '../types.js';
import { Mailbox } from './mailbox.js';
import { Directory, type DirServicePrincipal } from './directory-model.js';
import { DEFAULT_LARGE, demoTenantPopulation, directoryTenantPopulation, largePopulation, type LargeSize } from './directory-populations.js';

/** Microsoft Graph application permissions (app roles) and their ids (providers.md §1.7). */
export const GRAPH_APP_ROLES: Readonly<Record<string, string>> = {
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'User.ReadWrite.All': '741f803b-c850-494e-b5df-cde7c675a1ca',
  'Group.Read.All': '5b567255-7703-4780-807c-7be8301ae99b',
  'Group.ReadWrite.All': '62a82d76-70ea-41e2-9197-370581804d09',
  'GroupMember.ReadWrite.All': 'dbaae8cf-10b5-4b86-a4a1-f871c94c6695',
  'GroupMember.Read.All': '98830695-27a2-44f7-8c18-0c3ebc9698f6',
  'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
  'Directory.ReadWrite.All': '19dbc75e-c2e2-444c-a770-ec69d8559fc7',
  'RoleManagement.Read.Directory': '483bed4a-2ad3-4361-a73b-c83ccdbdc53c',
  'RoleManagement.Read.All': 'c7fbd983-d9aa-4fa7-84b8-17382c103bc4',
  'RoleManagement.ReadWrite.Directory': '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8',
  'Application.Read.All': '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
  'Application.ReadWrite.All': '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
  'AppRoleAssignment.ReadWrite.All': '06b708a9-e830-4db3-a914-8e69da51d44f',
  'Mail.Read': '810c84a8-4a9e-49e6-bf7d-12d183f40d01',
  'Mail.ReadWrite': 'e2a3a72e-5f79-4c64-b1b1-878b674786c9',
};

export interface RegisteredCertificate {
  readonly keyId: string;
  readonly certificatePem: string;
  readonly sha1B64u: string;
  readonly sha256B64u: string;
  readonly sha1Hex: string;
  readonly notBefore?: string;
  readonly notAfter: string;
}

export interface RegisteredSecret {
  readonly keyId: string;
  readonly value: string;
  readonly displayName?: string;
  readonly startDateTime?: string;
  readonly endDateTime: string;
}

/** The app's service principal in one tenant, with the application permissions granted there. */
export interface TenantConsent {
  readonly servicePrincipalId: string;
  readonly granted: Set<string>;
}

/** One Entra ID tenant the sandbox hosts: its directory and whether the app is consented there. */
export interface EntraTenant {
  readonly tenantId: string;
  readonly domain: string;
  readonly directory: Directory;
  /** null: the app has no service principal here (never consented) → AADSTS700016. */
  consent: TenantConsent | null;
}

/** The second tenant: a directory-only organisation (no mailboxes) with guests and disabled accounts. */
export const DIRECTORY_TENANT = { tenantId: 'f4b1c2d3-7e8f-4a9b-8c0d-2e3f4a5b6c7d', domain: 'fabrikam.test', displayName: 'Fabrikam' } as const;
/** The large tenant, created on request through the admin API. */
export const LARGE_TENANT = { tenantId: 'c0a7e5d2-4b1f-4e3a-9d6c-1f2e3a4b5c6d', domain: 'contoso-large.test', displayName: 'Contoso (large)' } as const;
/** What a directory (inventory) connection needs, read-only; granted in the directory tenants by default. */
export const DIRECTORY_READ_PERMISSIONS = ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All'] as const;

export interface AppRegistration {
  readonly appId: string;
  readonly displayName: string;
  readonly servicePrincipalId: string;
  certificates: RegisteredCertificate[];
  secrets: RegisteredSecret[];
  /** Application permissions configured on the app (requested); admin consent grants these. */
  readonly requiredPermissions: string[];
  /** Application permissions granted with admin consent in the home (demo) tenant. */
  readonly granted: Set<string>;
  /** Deleted app registrations sign in nowhere (AADSTS700016). */
  deleted: boolean;
  /** Registered redirect URIs; empty = the sandbox accepts any (a documented deviation). */
  redirectUris: string[];
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
  /** Every tenant hosted, by tenant id; the home (demo) tenant first. */
  readonly tenants: Map<string, EntraTenant>;
  readonly home: EntraTenant;
  /** A tenant by id or verified domain (case-insensitive). */
  tenantByKey(key: string): EntraTenant | undefined;
  /** Creates (or re-creates, with a new size) the large tenant. */
  createLargeTenant(size?: Partial<LargeSize>): EntraTenant;
  /**
   * Access tokens issued before this instant (epoch ms) are refused by Graph as expired. The
   * admin API moves it to "let an hour pass" for tokens without moving the sandbox clock, so a
   * test can see what happens when a cached token runs out after its credential stopped working.
   */
  tokensValidFromMs: number;
  /**
   * When Entra decided to issue each token (epoch ms, by the token's `uti`): the moment its
   * credential was checked, before the token was signed. `iat` has second precision, so
   * without this a token decided a moment before "expire" in the same second — or signed just
   * after it — would survive the expiry (tests race a background sign-in otherwise).
   */
  readonly tokenDecidedMs: Map<string, number>;
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
    certificates: [{ keyId: guidFrom(`cert-${tp.sha1Hex}`), certificatePem: credentials.certificatePem, sha1B64u: tp.sha1B64u, sha256B64u: tp.sha256B64u, sha1Hex: tp.sha1Hex, notBefore: forge.pki.certificateFromPem(credentials.certificatePem).validity.notBefore.toISOString(), notAfter: credentials.certificateNotAfter }],
    secrets: [{ keyId: credentials.clientSecretId, value: credentials.clientSecret, endDateTime: credentials.clientSecretExpiresAt }],
    requiredPermissions: ['User.Read.All', 'Mail.Read'],
    granted: new Set(['User.Read.All', 'Mail.Read']),
    deleted: false,
    redirectUris: [],
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
  const ownSp = (tenantId: string): DirServicePrincipal => ({
    id: guidFrom(`sp-${DEMO.microsoft.clientId}-${tenantId}`), appId: app.appId, displayName: app.displayName, servicePrincipalType: 'Application', appRoles: [], assignments: [],
  });
  const tenants = new Map<string, EntraTenant>();
  const homeSp = { ...ownSp(DEMO.microsoft.tenantId), id: app.servicePrincipalId };
  const home: EntraTenant = {
    tenantId: DEMO.microsoft.tenantId,
    domain: DEMO.domain,
    directory: new Directory(DEMO.microsoft.tenantId, DEMO.domain, 'Northwind', demoTenantPopulation(String(ctx.seed), users, homeSp)),
    consent: { servicePrincipalId: app.servicePrincipalId, granted: app.granted },
  };
  tenants.set(home.tenantId, home);
  const dirSp = ownSp(DIRECTORY_TENANT.tenantId);
  tenants.set(DIRECTORY_TENANT.tenantId, {
    tenantId: DIRECTORY_TENANT.tenantId,
    domain: DIRECTORY_TENANT.domain,
    directory: new Directory(DIRECTORY_TENANT.tenantId, DIRECTORY_TENANT.domain, DIRECTORY_TENANT.displayName, directoryTenantPopulation(ctx.seed, DIRECTORY_TENANT.domain, dirSp)),
    consent: { servicePrincipalId: dirSp.id, granted: new Set(DIRECTORY_READ_PERMISSIONS) },
  });
  return {
    tokensValidFromMs: 0,
    tokenDecidedMs: new Map(),
    tenants,
    home,
    tenantByKey(key) {
      const k = key.toLowerCase();
      return tenants.get(k) ?? [...tenants.values()].find((t) => t.domain === k);
    },
    createLargeTenant(size = {}) {
      const sp = ownSp(LARGE_TENANT.tenantId);
      const t: EntraTenant = {
        tenantId: LARGE_TENANT.tenantId,
        domain: LARGE_TENANT.domain,
        directory: new Directory(LARGE_TENANT.tenantId, LARGE_TENANT.domain, LARGE_TENANT.displayName, largePopulation(ctx.seed, LARGE_TENANT.domain, { ...DEFAULT_LARGE, ...size }, sp)),
        consent: { servicePrincipalId: sp.id, granted: new Set(DIRECTORY_READ_PERMISSIONS) },
      };
      tenants.set(t.tenantId, t);
      return t;
    },
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
