import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * The identity inventory: what directory connections read (accounts, groups, memberships,
 * entitlements, grants, credentials), the page fingerprints that let an unchanged re-sync
 * skip row writes, per-stream checkpoints, sync runs with their counts, the per-connection
 * directory schedule, and correlated identities with their rules.
 *
 * Every object row carries `gen` (the run generation that last saw it) and `page_key` (the
 * page of the full pass it came from): deletions after a complete pass remove rows whose
 * generation is old and whose page was not seen unchanged (src/directory/sync/finalize.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // On SQLite the object tables are clustered on their key (WITHOUT ROWID): one B-tree fewer
  // to write per row, which is a third of the cost of a million memberships.
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const objectTable = (name: string) =>
    db.schema
      .createTable(name)
      .$call((b) => (sqlite ? b.modifyEnd(sql`WITHOUT ROWID`) : b))
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('connection_id', 'text', (c) => c.notNull());
  await objectTable('dir_accounts')
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('account_type', 'text', (c) => c.notNull()) // user | guest | service
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('employee_id', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('external', 'integer', (c) => c.notNull())
    .addColumn('source_created_at', 'text')
    .addColumn('last_sign_in_at', 'text')
    .addColumn('attributes_json', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text')
    .addColumn('match_json', 'text') // which correlation rule linked it, and on what value
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_accounts_pk', ['tenant_id', 'connection_id', 'external_id'])
    .execute();
  await sql`CREATE INDEX dir_accounts_identity ON dir_accounts (tenant_id, identity_id)`.execute(db);

  await objectTable('dir_groups')
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('description', 'text')
    .addColumn('attributes_json', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_groups_pk', ['tenant_id', 'connection_id', 'external_id'])
    .execute();

  await objectTable('dir_memberships')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('member_type', 'text', (c) => c.notNull()) // account | group
    .addColumn('role', 'text')
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_memberships_pk', ['tenant_id', 'connection_id', 'group_id', 'member_id'])
    .execute();
  await sql`CREATE INDEX dir_memberships_member ON dir_memberships (tenant_id, connection_id, member_id)`.execute(db);

  await objectTable('dir_entitlements')
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('entitlement_type', 'text', (c) => c.notNull()) // role | policy | inline_policy | app_role
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('privileged', 'integer', (c) => c.notNull())
    .addColumn('attributes_json', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_entitlements_pk', ['tenant_id', 'connection_id', 'external_id'])
    .execute();

  await objectTable('dir_grants')
    .addColumn('entitlement_id', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('principal_type', 'text', (c) => c.notNull()) // account | group
    .addColumn('attributes_json', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_grants_pk', ['tenant_id', 'connection_id', 'entitlement_id', 'principal_id'])
    .execute();
  await sql`CREATE INDEX dir_grants_principal ON dir_grants (tenant_id, connection_id, principal_id)`.execute(db);

  await objectTable('dir_credentials')
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('credential_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source_created_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('attributes_json', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_credentials_pk', ['tenant_id', 'connection_id', 'external_id'])
    .execute();

  // Accounts a complete read saw and the scope left out (guest, external, disabled): kept so
  // "why is this identity missing?" can name the switch, and so memberships of them are not
  // reported as dangling.
  await objectTable('dir_excluded')
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull()) // guest | external | disabled
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('page_key', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_excluded_pk', ['tenant_id', 'connection_id', 'external_id'])
    .execute();

  // Fingerprints of the pages of the last full pass: an unchanged page costs one read.
  await objectTable('dir_pages')
    .addColumn('page_key', 'text', (c) => c.notNull()) // stream[/parent]#page number
    .addColumn('hash', 'text') // null: a delta changed a row of this page since
    .addColumn('gen', 'integer', (c) => c.notNull()) // the run that last read the page (changed or not)
    .addColumn('kept_gen', 'integer', (c) => c.notNull().defaultTo(0)) // the last run that found it unchanged and kept its rows as they were
    .addColumn('touched_gen', 'integer', (c) => c.notNull().defaultTo(0)) // the last run that wrote rows of it (rewrite or delta)
    .addColumn('objects', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_pages_pk', ['tenant_id', 'connection_id', 'page_key'])
    .execute();

  // Deletion after a pass and the post-sync checks work page by page: only pages that changed
  // cost anything, so a re-sync where nothing changed touches no object row.
  for (const t of ['dir_accounts', 'dir_groups', 'dir_memberships', 'dir_entitlements', 'dir_grants', 'dir_credentials', 'dir_excluded']) {
    await sql`CREATE INDEX ${sql.raw(`${t}_page`)} ON ${sql.table(t)} (tenant_id, connection_id, page_key)`.execute(db);
  }

  // The post-sync checks look at the references a run wrote (its generation), not at all of them.
  await sql`CREATE INDEX dir_memberships_gen ON dir_memberships (tenant_id, connection_id, gen)`.execute(db);
  await sql`CREATE INDEX dir_grants_gen ON dir_grants (tenant_id, connection_id, gen)`.execute(db);

  // One row per sync run: the history admins read, and the checkpoint of a run in progress.
  await db.schema
    .createTable('dir_runs')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull()) // full | delta
    .addColumn('trigger', 'text', (c) => c.notNull()) // schedule | manual | delta_expired
    .addColumn('status', 'text', (c) => c.notNull()) // running | throttled | succeeded | warning | failed
    .addColumn('gen', 'integer', (c) => c.notNull())
    .addColumn('checkpoint_json', 'text', (c) => c.notNull()) // stream index, cursor, parent, page number
    .addColumn('objects_read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pages_read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pages_unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('changed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('counts_json', 'text') // per object type totals after the run
    .addColumn('excluded_json', 'text') // {guests, external, disabled}
    .addColumn('checks_json', 'text') // post-sync checks: dangling references
    .addColumn('error_json', 'text')
    .addColumn('resume_at', 'text') // throttled: resumes then
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('dir_runs_pk', ['tenant_id', 'id'])
    .execute();
  await sql`CREATE INDEX dir_runs_connection ON dir_runs (tenant_id, connection_id, started_at)`.execute(db);

  // Per connection: delta cursors, schedule (staggered), last results.
  await db.schema
    .createTable('dir_state')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('gen', 'integer', (c) => c.notNull().defaultTo(0)) // last generation handed out
    .addColumn('delta_json', 'text') // stream → delta cursor of the last complete pass
    .addColumn('active_run_id', 'text')
    .addColumn('last_run_id', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('last_full_at', 'text')
    .addColumn('next_full_at', 'text')
    .addColumn('next_delta_at', 'text')
    .addColumn('throttled_until', 'text')
    .addColumn('throttle_json', 'text') // which budget, since when
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dir_state_pk', ['tenant_id', 'connection_id'])
    .execute();

  // Correlated people.
  await db.schema
    .createTable('identities')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('employee_id', 'text')
    .addColumn('identity_type', 'text', (c) => c.notNull()) // person | guest | service
    .addColumn('status', 'text', (c) => c.notNull()) // active | disabled
    .addColumn('accounts', 'integer', (c) => c.notNull())
    .addColumn('connections_json', 'text', (c) => c.notNull()) // connection ids
    .addColumn('search', 'text', (c) => c.notNull()) // lower-cased names, emails, user names
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('identities_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('directory_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('rules_json', 'text', (c) => c.notNull())
    .addColumn('correlated_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['directory_settings', 'identities', 'dir_state', 'dir_runs', 'dir_pages', 'dir_excluded', 'dir_credentials', 'dir_grants', 'dir_entitlements', 'dir_memberships', 'dir_groups', 'dir_accounts']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
