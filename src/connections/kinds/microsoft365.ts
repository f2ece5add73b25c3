import { MICROSOFT_DIRECTORY_STREAMS } from '../../connectors/microsoft/directory.js';
import { z } from 'zod';
import { outboundUrl } from '../../model/url-policy.js';
import { AppError } from '../../errors/index.js';
import { adminConsentUrl, microsoftConnector, microsoftDirectoryConnector, CONTINUITY_PERMISSIONS, MICROSOFT_PERMISSIONS } from '../../connectors/microsoft/index.js';
import { openPfx } from '../../connectors/microsoft/pfx.js';
import type { CheckResult } from '../../connectors/sdk/index.js';
import { expiryFinding, failFinding } from '../expiry.js';
import { directoryConfigFields } from './directory-config.js';
import { PREFLIGHT, type ConnectorParts, type CredentialMethodSpec, type KindSpec } from './types.js';

/**
 * Microsoft 365 / Entra ID, one app registration for both roles: the continuity source (users
 * and mail) and the directory (users, groups, directory roles, app roles). Each role has its
 * own Graph application permissions; write-back adds GroupMember.ReadWrite.All,
 * RoleManagement.ReadWrite.Directory and AppRoleAssignment.ReadWrite.All, granted by the
 * same admin-consent link once the permission is added to the app registration.
 */
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const guid = z.string().trim().regex(GUID_RE, 'must be a GUID like 00000000-0000-0000-0000-000000000000');
const tenantRef = z
  .string()
  .trim()
  .min(1)
  .refine((v) => GUID_RE.test(v) || /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(v), 'must be the Directory (tenant) ID GUID or a verified domain');
const dateInput = z.iso.date().or(z.iso.datetime({ offset: true }));

export const microsoftConfigSchema = z.object({
  tenantId: tenantRef,
  clientId: guid,
  endpoints: z.object({ login: outboundUrl().optional(), graph: outboundUrl().optional() }).optional(),
  ...directoryConfigFields,
});

export const microsoftCertificateInput = z.object({
  type: z.literal('certificate'),
  pfxBase64: z.string().min(1, 'upload the PFX file'),
  pfxPassword: z.string().default(''),
});
export const microsoftSecretInput = z.object({
  type: z.literal('client_secret'),
  clientSecret: z.string().trim().min(1, 'paste the client secret value'),
  /** The "Expires" column of the secret in Entra ID; Syncwarden counts down to it. */
  expiresAt: dateInput.optional(),
  /** The Secret ID column, to tell secrets apart (never used to sign in). */
  secretId: guid.optional(),
});
export const microsoftCredentialInput = z.discriminatedUnion('type', [microsoftCertificateInput, microsoftSecretInput]);

const certificate: CredentialMethodSpec = {
  label: 'Certificate (PFX)',
  input: microsoftCertificateInput,
  prepare(input) {
    const cred = microsoftCertificateInput.parse(input);
    // Opening the PFX here rejects a wrong file or password at save time, and gives the
    // expiry date the connection card counts down to.
    const pfx = openPfx(cred.pfxBase64, cred.pfxPassword);
    return {
      method: 'certificate',
      meta: { subject: pfx.subject, thumbprint: pfx.thumbprintSha1Hex, notBefore: pfx.notBefore.toISOString(), notAfter: pfx.notAfter.toISOString() },
      secret: { pfxBase64: cred.pfxBase64, pfxPassword: cred.pfxPassword },
      expiresAt: pfx.notAfter.toISOString(),
      issuedAt: pfx.notBefore.toISOString(),
    };
  },
  expiry: (meta) => ({ what: `certificate ${String(meta['subject'] ?? '')} (thumbprint ${String(meta['thumbprint'] ?? '').slice(0, 8)}…)`, basis: 'credential', maxAgeDays: null }),
  preflight(parts, ctx): CheckResult[] {
    const label = 'The PFX file opens with its password';
    let pfx;
    try {
      pfx = openPfx(parts.secret?.['pfxBase64'] ?? '', parts.secret?.['pfxPassword'] ?? '');
    } catch (e) {
      return [{ id: PREFLIGHT.credential, label, status: 'fail', error: (e instanceof AppError ? e : new AppError('m365.pfx_unreadable', { detail: 'it cannot be read' })).toJSON() }];
    }
    const facts = certificate.expiry(parts.meta);
    return [
      { id: PREFLIGHT.credential, label, status: 'pass', detail: `${pfx.subject}, thumbprint ${pfx.thumbprintSha1Hex}` },
      expiryFinding(facts, pfx.notAfter.toISOString(), ctx.now.getTime(), new AppError('m365.certificate_expired', { notAfter: pfx.notAfter.toISOString().slice(0, 10) })),
    ];
  },
};

const clientSecret: CredentialMethodSpec = {
  label: 'Client secret',
  input: microsoftSecretInput,
  prepare(input) {
    const cred = microsoftSecretInput.parse(input);
    const expiresAt = cred.expiresAt ? new Date(cred.expiresAt).toISOString() : null;
    return {
      method: 'client_secret',
      meta: { secretId: cred.secretId ?? null, hint: secretHint(cred.clientSecret), expiresAt },
      secret: { clientSecret: cred.clientSecret },
      expiresAt,
      issuedAt: null,
    };
  },
  expiry: (meta) => ({ what: `client secret ${String(meta['hint'] ?? '')}`.trim(), basis: 'entered', maxAgeDays: null }),
  preflight(parts, ctx): CheckResult[] {
    const value = parts.secret?.['clientSecret'] ?? '';
    const label = 'The client secret is a secret value';
    // Entra shows two columns for a secret, Value and Secret ID; the ID is a GUID, the value
    // never is. Pasting the ID is the commonest mistake (AADSTS7000215 says as much).
    if (GUID_RE.test(value.trim())) return [failFinding(PREFLIGHT.credential, label, 'credential.secret_id_pasted', { hint: secretHint(value) })];
    const out: CheckResult[] = [{ id: PREFLIGHT.credential, label, status: 'pass', detail: `value ${secretHint(value)}` }];
    out.push(expiryFinding(clientSecret.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime(), new AppError('m365.client_secret_expired')));
    return out;
  },
};

/** The first three characters only, as Entra itself shows a secret ("Zq8***"). */
function secretHint(value: string): string {
  const v = value.trim();
  return v.length < 12 ? '…' : `${v.slice(0, 3)}…`;
}

function connectorConfig(parts: ConnectorParts) {
  const config = microsoftConfigSchema.parse(parts.config);
  const secret = parts.secret ?? {};
  const need = (k: string): string => {
    const v = secret[k];
    if (v === undefined) throw new AppError('connection.secret_unreadable');
    return v;
  };
  const auth =
    parts.method === 'certificate'
      ? { type: 'certificate' as const, pfxBase64: need('pfxBase64'), pfxPassword: secret['pfxPassword'] ?? '' }
      : { type: 'client_secret' as const, clientSecret: need('clientSecret') };
  return { tenantId: config.tenantId, clientId: config.clientId, auth, endpoints: config.endpoints };
}

export const microsoft365Kind: KindSpec = {
  kind: 'microsoft365',
  displayName: 'Microsoft 365',
  defaultRole: 'continuity_source',
  roles: {
    continuity_source: {
      // Write-back on a continuity source is reverse recovery: the doctor then checks Mail.ReadWrite
      // (also when recovery is switched on for a policy and consent is still to be given).
      build: (ctx, parts) => microsoftConnector.create(ctx, { ...connectorConfig(parts), writeBack: parts.writeBack, recoveryPlanned: parts.recoveryOn === true }),
      readPermissions: CONTINUITY_PERMISSIONS,
      writeBackPermissions: MICROSOFT_PERMISSIONS.continuityWriteBack,
      writeBackHowTo: 'Reverse recovery writes the mail of a Microsoft 365 outage back into the mailboxes. In Entra ID open App registrations > your app > API permissions > Add a permission > Microsoft Graph > Application permissions, add Mail.ReadWrite, then grant admin consent with the link below (it grants every permission configured on the app).',
    },
    directory: {
      streams: MICROSOFT_DIRECTORY_STREAMS,
      displayName: 'Microsoft Entra ID',
      // The connector checks each permission twice (in the token's roles, then by calling an
      // endpoint that needs it), the write-back one only with consent.
      build: (ctx, parts) => microsoftDirectoryConnector.create(ctx, { ...connectorConfig(parts), writeBack: parts.writeBack }),
      readPermissions: MICROSOFT_PERMISSIONS.directoryRead,
      writeBackPermissions: MICROSOFT_PERMISSIONS.directoryWriteBack,
      writeBackHowTo: 'In Entra ID open App registrations > your app > API permissions > Add a permission > Microsoft Graph > Application permissions, add GroupMember.ReadWrite.All, RoleManagement.ReadWrite.Directory and AppRoleAssignment.ReadWrite.All, then grant admin consent with the link below (it grants every permission configured on the app).',
    },
  },
  configSchema: microsoftConfigSchema,
  boundFields: ['tenantId', 'endpoints.login', 'endpoints.graph'],
  methods: { certificate, client_secret: clientSecret },
  http: { provider: 'Microsoft 365' },
  // Entra accepts client assertions within about 5 minutes of its clock.
  clockFailSeconds: 300,
  clockChecks: ['clock'],
  supersededChecks: ['credential'],
  // App-role grants replicate through Entra for a while; tokens issued meanwhile may lack them.
  propagating: ['m365.permission_missing'],
  // Application permissions have no per-permission consent: the link grants every permission
  // configured on the app registration (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent).
  consentUrl(config, _permissions, redirectUri, state) {
    const c = microsoftConfigSchema.safeParse(config);
    if (!c.success) return null;
    const login = c.data.endpoints?.login;
    return adminConsentUrl({ ...(login ? { loginBase: login.replace(/\/+$/, '') } : {}), tenantId: c.data.tenantId, clientId: c.data.clientId, redirectUri, state });
  },
  errorPrefixes: ['m365.'],
  providerNames: ['Microsoft 365', 'Microsoft Graph', 'Entra ID'],
  summaryFields: [
    { key: 'tenantId', label: 'Tenant ID' },
    { key: 'clientId', label: 'Client ID' },
  ],
};
