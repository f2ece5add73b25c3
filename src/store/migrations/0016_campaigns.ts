import { sql, type Kysely } from 'kysely';

/**
 * Certification campaigns (src/campaigns/): the campaign with its settings (`input_json`, the
 * API's CampaignInput), the snapshot of access taken at start (one item per account × access,
 * with the recommendation, the reviewer per stage, the decision, the remediation and its
 * verification), the history of each item (decided, reassigned, reminded, escalated), applies
 * held by the circuit breaker, and resource owners set in Syncwarden. Portable types only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // draft | running | closed | applying | held | applied | verified | cancelled
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('stages', 'integer', (c) => c.notNull())
    .addColumn('input_json', 'text', (c) => c.notNull())
    .addColumn('series_id', 'text', (c) => c.notNull()) // recurring: the first occurrence's id
    .addColumn('occurrence', 'integer', (c) => c.notNull())
    .addColumn('next_start_at', 'text') // recurring: when the next occurrence is created and started
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('stage_started_at', 'text')
    .addColumn('deadline', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('applied_at', 'text')
    .addColumn('verified_at', 'text')
    .addColumn('apply_on_close', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reminders_sent_json', 'text', (c) => c.notNull().defaultTo('[]')) // reminder days already sent this stage
    .addColumn('escalated_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaigns_pk', ['tenant_id', 'id'])
    .execute();
  await sql`CREATE INDEX campaigns_status ON campaigns (tenant_id, status)`.execute(db);

  await db.schema
    .createTable('campaign_items')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull()) // the account's external id
    .addColumn('identity_id', 'text')
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('guest', 'integer', (c) => c.notNull())
    .addColumn('department', 'text')
    .addColumn('last_activity_at', 'text')
    .addColumn('kind', 'text', (c) => c.notNull()) // AccessKind
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('resource_name', 'text', (c) => c.notNull())
    .addColumn('privileged', 'integer', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull()) // direct | group
    .addColumn('chain_json', 'text', (c) => c.notNull()) // group names from the account to the resource
    .addColumn('via_group_id', 'text') // the account's direct group the access comes through
    .addColumn('since', 'text')
    .addColumn('search', 'text', (c) => c.notNull()) // lower-case account + resource text for ?q=
    .addColumn('recommendation', 'text', (c) => c.notNull()) // approve | revoke
    .addColumn('reasons_json', 'text', (c) => c.notNull())
    .addColumn('stage1_reviewer_id', 'text')
    .addColumn('stage2_reviewer_id', 'text')
    .addColumn('reviewer_id', 'text') // the current stage's reviewer ('' when none could be resolved)
    // pending (stage open, undecided) | decided (stage open) | closed (stage or campaign closed)
    .addColumn('review_state', 'text', (c) => c.notNull())
    .addColumn('decision', 'text')
    .addColumn('justification', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('stage1_json', 'text') // the first stage's decision, for the second stage's reviewer
    .addColumn('closed_reason', 'text') // removed_elsewhere | no_response
    .addColumn('remediation', 'text', (c) => c.notNull()) // none | open | applying | success | error | manual
    .addColumn('remediation_error_json', 'text')
    .addColumn('manual_steps', 'text')
    .addColumn('remediated_at', 'text')
    .addColumn('verification', 'text') // null | pending | verified | did_not_stick
    .addColumn('verified_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_items_pk', ['tenant_id', 'id'])
    .execute();
  // The reviewer's inbox: their open items, keyset-paged by id.
  await sql`CREATE INDEX campaign_items_inbox ON campaign_items (tenant_id, reviewer_id, review_state, id)`.execute(db);
  await sql`CREATE INDEX campaign_items_campaign ON campaign_items (tenant_id, campaign_id, id)`.execute(db);
  await sql`CREATE INDEX campaign_items_remediation ON campaign_items (tenant_id, campaign_id, remediation)`.execute(db);
  await sql`CREATE INDEX campaign_items_verification ON campaign_items (tenant_id, verification, connection_id)`.execute(db);

  await db.schema
    .createTable('campaign_history')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text') // null: a notice to a reviewer about the whole campaign
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull()) // decided | reassigned | reminded | escalated
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text') // the reviewer a notice was about
    .addPrimaryKeyConstraint('campaign_history_pk', ['tenant_id', 'id'])
    .execute();
  await sql`CREATE INDEX campaign_history_item ON campaign_history (tenant_id, item_id, at)`.execute(db);
  await sql`CREATE INDEX campaign_history_user ON campaign_history (tenant_id, campaign_id, user_id, action)`.execute(db);

  await db.schema
    .createTable('campaign_holds')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('reasons_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'text')
    .addColumn('note', 'text')
    .addPrimaryKeyConstraint('campaign_holds_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('resource_owners')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_owners_pk', ['tenant_id', 'connection_id', 'resource_id', 'user_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['resource_owners', 'campaign_holds', 'campaign_history', 'campaign_items', 'campaigns']) await db.schema.dropTable(t).ifExists().execute();
}
