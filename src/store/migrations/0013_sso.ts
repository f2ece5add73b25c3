import type { Kysely } from 'kysely';

/**
 * Single sign-on with Microsoft Entra ID and Google (issue 12, points 1 and 9).
 *
 * - `sso_providers`: per tenant and provider, whether it is enabled, the client id, the
 *   directory it is bound to (Entra tenant id / Google hosted domain) and the authority
 *   (base URL; null = the real provider). The client secret is not here: it is sealed in
 *   `secrets` (name `sso.<provider>.client_secret`), which key rotation already covers.
 * - `sso_policies`: per tenant, whether SSO is required (password sign-in refused).
 * - `sso_identities`: the link from a provider's stable subject (Entra `tid`+`oid`, Google
 *   `sub`) to a Syncwarden user, stored on the first match by verified email.
 * - `sso_attempts`: one row per sign-in started: the state's hash, the hash of the pre-session
 *   cookie it is bound to, the nonce, PKCE verifier and the redirect URI sent; spent once by the callback.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sso_providers')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('directory', 'text')
    .addColumn('authority', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_providers_pk', ['tenant_id', 'provider'])
    .execute();
  await db.schema
    .createTable('sso_policies')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('required', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('sso_identities')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_identities_pk', ['provider', 'subject'])
    .execute();
  await db.schema
    .createTable('sso_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['sso_attempts', 'sso_identities', 'sso_policies', 'sso_providers']) await db.schema.dropTable(t).ifExists().execute();
}
