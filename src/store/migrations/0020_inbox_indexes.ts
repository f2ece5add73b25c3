import { sql, type Kysely } from 'kysely';

/**
 * A reviewer's inbox at 1,000,000 items (issue 13: ~50,000 items per reviewer).
 *
 * - The inbox indexes carry, after the keyset key (id), the columns the inbox filters and
 *   counts read: campaign, recommendation, kind. A filter that matches few of a reviewer's
 *   items is then decided from the index entry, without reading 50,000 table rows (SQLite
 *   defers the row seek; a PostgreSQL b-tree checks any key column as an index condition), and
 *   the per-campaign counts of "My campaigns" and the banner are answered from the index alone.
 * - The escalation index only holds escalated items (partial: WHERE escalated_to IS NOT NULL;
 *   `escalated_to = ?` implies it on both databases): almost no item is escalated, and every
 *   snapshot row and every decision no longer writes an entry nobody reads.
 * - The verification index likewise only holds items whose verification started (it is null
 *   until a revocation is applied; every query of it asks `verification = ?`).
 *
 * Both partial indexes pay for the wider inbox index at campaign start (one b-tree per row
 * fewer on the start's INSERT … SELECT and on a bulk decision's UPDATE).
 */
const INDEXES = {
  campaign_items_inbox: 'CREATE INDEX campaign_items_inbox ON campaign_items (tenant_id, reviewer_id, review_state, id, campaign_id, recommendation, kind)',
  campaign_items_escalated: 'CREATE INDEX campaign_items_escalated ON campaign_items (tenant_id, escalated_to, review_state, id, campaign_id, recommendation, kind) WHERE escalated_to IS NOT NULL',
  campaign_items_verification: 'CREATE INDEX campaign_items_verification ON campaign_items (tenant_id, verification, connection_id) WHERE verification IS NOT NULL',
};
const BEFORE = {
  campaign_items_inbox: 'CREATE INDEX campaign_items_inbox ON campaign_items (tenant_id, reviewer_id, review_state, id)',
  campaign_items_escalated: 'CREATE INDEX campaign_items_escalated ON campaign_items (tenant_id, escalated_to, review_state, id)',
  campaign_items_verification: 'CREATE INDEX campaign_items_verification ON campaign_items (tenant_id, verification, connection_id)',
};

async function replace(db: Kysely<unknown>, indexes: Record<string, string>): Promise<void> {
  for (const [name, create] of Object.entries(indexes)) {
    await sql`DROP INDEX IF EXISTS ${sql.raw(name)}`.execute(db);
    await sql.raw(create).execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await replace(db, INDEXES);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replace(db, BEFORE);
}
