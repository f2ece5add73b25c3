import { kindSpecs } from './index.js';
import { connectionKinds, connectionRoles, type ConnectionKind, type ConnectionRole, type RoleSpec, type Checkable } from './types.js';

/**
 * The kind registry as the UI and API clients see it: which roles each kind takes, the
 * permissions each role reads with and the ones write-back adds, and the credential methods.
 * The connection form is built from this, so a permission list is written down once.
 */
export interface KindDescription {
  kind: ConnectionKind;
  displayName: string;
  defaultRole: ConnectionRole;
  roles: { role: ConnectionRole; available: boolean; readPermissions: readonly string[]; writeBackPermissions: readonly string[]; writeBackHowTo: string | null; hasConsentLink: boolean }[];
  methods: { method: string; label: string; keyless: boolean }[];
  summaryFields: readonly { key: string; label: string }[];
}

export function describeKinds(): KindDescription[] {
  return connectionKinds.map((kind) => {
    const spec = kindSpecs[kind];
    return {
      kind,
      displayName: spec.displayName,
      defaultRole: spec.defaultRole,
      roles: connectionRoles
        .filter((r) => spec.roles[r] !== undefined)
        .map((role) => {
          const r = spec.roles[role] as RoleSpec<Checkable>;
          return { role, available: r.build !== null, readPermissions: r.readPermissions, writeBackPermissions: r.writeBackPermissions, writeBackHowTo: r.writeBackHowTo ?? null, hasConsentLink: spec.consentUrl !== undefined };
        }),
      methods: Object.entries(spec.methods).map(([method, m]) => ({ method, label: m.label, keyless: m.keyless === true })),
      summaryFields: spec.summaryFields,
    };
  });
}
