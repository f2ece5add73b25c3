import type { Kysely } from 'kysely';

/**
 * An admin's word on what an identity is (person, guest or service) where the evidence the
 * providers give classified it otherwise. Keyed by identity id, which stays the same across
 * recomputations, so the override survives every correlation. Portable types only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('identity_type_overrides')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text', (c) => c.notNull())
    .addColumn('identity_type', 'text', (c) => c.notNull()) // person | guest | service
    .addColumn('reason', 'text')
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('identity_type_overrides_pk', ['tenant_id', 'identity_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('identity_type_overrides').execute();
}
