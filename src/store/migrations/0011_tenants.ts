import { sql, type Kysely } from 'kysely';

/**
 * Several organisations in one installation (issue 12, point 4). The `tenants` table of 0001
 * gains who made a tenant and when it was renamed; a user remembers the tenant they last
 * worked in, so a password sign-in lands there without asking. The default tenant, implicit
 * until now, gets its row.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('created_by', 'text').execute();
  await db.schema.alterTable('tenants').addColumn('updated_at', 'text').execute();
  await db.schema.alterTable('users').addColumn('last_tenant_id', 'text').execute();
  await db.schema.createIndex('memberships_user').on('memberships').columns(['user_id']).execute();
  await sql`INSERT INTO tenants (id, name, created_at) SELECT 'default', 'Default', ${new Date().toISOString()} WHERE NOT EXISTS (SELECT 1 FROM tenants WHERE id = 'default')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('memberships_user').execute();
  await db.schema.alterTable('users').dropColumn('last_tenant_id').execute();
  await db.schema.alterTable('tenants').dropColumn('updated_at').execute();
  await db.schema.alterTable('tenants').dropColumn('created_by').execute();
}
