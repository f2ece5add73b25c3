/** Identity type overrides (migration 0009). Portable types only (see schema.ts). */
export interface IdentityTypeTables {
  identity_type_overrides: IdentityTypeOverridesTable;
}

export interface IdentityTypeOverridesTable {
  tenant_id: string;
  identity_id: string;
  identity_type: string; // person | guest | service
  reason: string | null;
  set_by: string;
  set_at: string;
}
