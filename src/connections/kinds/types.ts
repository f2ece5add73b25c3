import type { DirectoryStream } from '../../connectors/sdk/directory.js';
import type { ZodType } from 'zod';
import type { ErrorCode } from '../../errors/index.js';
import type { CheckResult, ConnectorContext, DirectoryScope, DirectorySource, HttpResponse, MailDestination, MailSource } from '../../connectors/sdk/index.js';

/**
 * The connection-kind registry's vocabulary. A kind is one table entry (kinds/index.ts): its
 * config schema, its credential methods (input schema, how input splits into stored parts,
 * pre-flight checks that need no network, where its expiry comes from), the roles it may take
 * (each with how to build the connector and the permissions it needs), and the doctor hints.
 */
export const connectionKinds = ['microsoft365', 'google_workspace', 'aws_iam', 'scim'] as const;
export type ConnectionKind = (typeof connectionKinds)[number];

export const connectionRoles = ['continuity_source', 'continuity_destination', 'directory'] as const;
export type ConnectionRole = (typeof connectionRoles)[number];

export type CredentialMetaValue = string | number | boolean | null;
/** Non-secret facts about a credential, shown in the UI and the support bundle. */
export type CredentialMeta = Readonly<Record<string, CredentialMetaValue>>;

/** An admin's credential input split into what is stored in clear and what is sealed. */
export interface PreparedCredential {
  readonly method: string;
  readonly meta: CredentialMeta;
  /** The secret part, sealed before storage; null when the method has none (keyless). */
  readonly secret: Readonly<Record<string, string>> | null;
  /** When it stops working, or is due for rotation by policy; null when unknown or never. */
  readonly expiresAt: string | null;
  /** When the credential itself was made (certificate notBefore, key creation), when known. */
  readonly issuedAt: string | null;
}

/** Where an expiry date comes from: read from the credential, entered by the admin, or an age policy. */
export type ExpiryBasis = 'credential' | 'entered' | 'age_policy';

export interface ExpiryFacts {
  /** For an admin: 'certificate CN=Contoso (thumbprint 1A2B…)', 'client secret', 'service-account key 3f2a…'. */
  readonly what: string;
  readonly basis: ExpiryBasis;
  /** For age-policy credentials: the policy, in days. */
  readonly maxAgeDays: number | null;
}

/** What a connector is built from: parsed non-secret config and the opened credential. */
export interface ConnectorParts {
  readonly config: Record<string, unknown>;
  readonly method: string;
  readonly meta: CredentialMeta;
  readonly secret: Readonly<Record<string, string>> | null;
  /** Installation-level secrets some methods need (the keyless Google token provider). */
  readonly platform: { readonly googleTokenProviderKeyJson: string | null };
  /** The connection's write-back consent (a directory connector then also checks and offers its write permissions). */
  readonly writeBack: boolean;
  /**
   * A continuity source whose mail recovery is switched on (a policy on it starts recovery by
   * itself, or has a failover open): the doctor then checks the recovery permissions even
   * before write-back is consented, so the admin learns of a missing Mail.ReadWrite early.
   */
  readonly recoveryOn?: boolean;
  /** What a directory connection reads (guests, external identities, disabled accounts); defaults elsewhere. */
  readonly scope: DirectoryScope;
}

/**
 * Facts about the credential that only the provider knows, learnt while testing: when an AWS
 * access key or a Google service-account key was created, and when such a key expires. They
 * replace what the admin entered (or the "added today" default) in the expiry inventory.
 */
export interface LearnedCredential {
  readonly createdAt: string | null;
  /** A real expiry of the key (a Google key under an expiry policy); null = it never expires. */
  readonly expiresAt: string | null;
}

/** Anything the doctor can ask for its provider checks. */
export interface Checkable {
  checks(): Promise<CheckResult[]>;
}

export interface RoleSpec<Instance extends Checkable> {
  /** What an admin calls the provider in this role, when not the kind's name (Entra ID for the directory of Microsoft 365). */
  readonly displayName?: string;
  /** Builds the connector for this role; null while the connector is not part of this build. */
  readonly build: ((ctx: ConnectorContext, parts: ConnectorParts) => Instance) | null;
  /** Provider permissions (Graph app roles, OAuth scopes, IAM actions) read-only work needs. */
  readonly readPermissions: readonly string[];
  /** Directory role: the source's streams in reading order (progress "stream 2 of 4" without building a connector). */
  readonly streams?: readonly DirectoryStream[];
  /** The extra permissions write-back needs; empty when the role never writes back. */
  readonly writeBackPermissions: readonly string[];
  /** For an admin turning write-back on: where the extra permissions are granted (exact console path). */
  readonly writeBackHowTo?: string;
  /** Overrides the kind's `propagating` for this role (a connector that tells propagation itself: []). */
  readonly propagating?: readonly ErrorCode[];
  /** Connector check ids of this role the pre-flight already answers (added to the kind's). */
  readonly supersededChecks?: readonly string[];
  /** What the provider told about the credential during the checks, when the role can learn it. */
  learn?(instance: Instance, findings: readonly CheckResult[]): Promise<LearnedCredential | null>;
}

export interface RoleSpecs {
  readonly continuity_source?: RoleSpec<MailSource>;
  readonly continuity_destination?: RoleSpec<MailDestination>;
  readonly directory?: RoleSpec<DirectorySource>;
}

export interface CredentialMethodSpec {
  /** For an admin, e.g. 'Certificate (PFX)'. */
  readonly label: string;
  /** Nothing to store, expire or rotate (keyless sign-in): left out of the expiry inventory. */
  readonly keyless?: boolean;
  /** The credential input of this method (including its `type` literal). */
  readonly input: ZodType;
  /** Splits a parsed input into stored parts; throws an AppError naming what is wrong. */
  prepare(input: unknown, ctx: PrepareContext): PreparedCredential;
  /** What the expiry inventory says about this credential. */
  expiry(meta: CredentialMeta): ExpiryFacts;
  /**
   * Checks that need no network, run before any provider call. A failing finding whose id is
   * in `blocking` stops the provider checks (nothing else can be learnt with this credential).
   */
  preflight(parts: ConnectorParts, ctx: PreflightContext): CheckResult[];
  /**
   * Applies what the provider told about the credential (LearnedCredential) to its stored facts:
   * the new meta and dates, or null when nothing changes. Methods whose dates cannot be learnt
   * leave it out.
   */
  learn?(meta: CredentialMeta, learned: LearnedCredential): { meta: CredentialMeta; expiresAt: string | null; issuedAt: string | null } | null;
}

export interface PrepareContext {
  readonly now: Date;
  readonly platform: ConnectorParts['platform'];
}

export interface PreflightContext {
  readonly now: Date;
  readonly expiresAt: string | null;
}

export interface KindSpec {
  readonly kind: ConnectionKind;
  readonly displayName: string;
  readonly defaultRole: ConnectionRole;
  readonly roles: RoleSpecs;
  /** Non-secret settings (ids, emails, domain, endpoints). */
  readonly configSchema: ZodType<Record<string, unknown>>;
  readonly methods: Readonly<Record<string, CredentialMethodSpec>>;
  /**
   * Config fields that decide where the secret (or a signed assertion) is sent, as dotted
   * paths ('endpoints.login'). Changing one requires the secret to be entered again, so a
   * stored credential cannot be redirected to another host by someone who never saw it.
   */
  readonly boundFields: readonly string[];
  /** The HTTP client's provider name and extra throttle signals. */
  readonly http: { readonly provider: string; readonly isThrottle?: (res: HttpResponse) => boolean };
  /**
   * How far this server's clock may be off the provider's before the doctor fails (seconds):
   * where signed sign-in tokens stop working (Entra and Google about 5 minutes, AWS SigV4 15);
   * null when nothing is signed with the clock (a bearer token): then it is only a warning.
   */
  readonly clockFailSeconds: number | null;
  /** The connector's own clock check ids: the doctor's own clock finding (Date headers) replaces them. */
  readonly clockChecks: readonly string[];
  /** Connector check ids the pre-flight already answers (so a cause is not named twice). */
  readonly supersededChecks: readonly string[];
  /** Failure codes that a provider-side change still propagating also produces (re-checked to tell). */
  readonly propagating: readonly ErrorCode[];
  /** Admin-consent link for these permissions, when the provider has one. */
  consentUrl?(config: Record<string, unknown>, permissions: readonly string[], redirectUri: string, state: string): string | null;
  /**
   * How to tell this kind's failures among many users' errors (incident detection): catalogue
   * code prefixes, and the `provider` param values its connector puts in generic errors.
   */
  readonly errorPrefixes: readonly string[];
  readonly providerNames: readonly string[];
  /** Config fields an admin recognises the connection by (cards, bundle), in order. */
  readonly summaryFields: readonly { readonly key: string; readonly label: string }[];
}

/** Finding ids every pre-flight uses. */
export const PREFLIGHT = { credential: 'credential', expiry: 'credential:expiry', platform: 'platform' } as const;
