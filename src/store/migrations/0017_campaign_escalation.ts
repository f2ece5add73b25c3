import { sql, type Kysely } from 'kysely';

/**
 * Escalation "add" (src/campaigns/notices.ts): an item escalated to the reviewer's manager or
 * the fallback keeps its reviewer and gains a second person who may decide it; their inbox
 * reads this column through its own index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('campaign_items').addColumn('escalated_to', 'text').execute();
  await sql`CREATE INDEX campaign_items_escalated ON campaign_items (tenant_id, escalated_to, review_state, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS campaign_items_escalated`.execute(db);
  await db.schema.alterTable('campaign_items').dropColumn('escalated_to').execute();
}
