import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEventsTable, Database } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import { newId, nowIso } from '../model/ids.js';
import { renderError, type ErrorCode, type ErrorParams } from '../errors/index.js';
import { GENESIS, HASH_VERSION, hashOf, headMac } from './hash.js';
import { auditSealerOf } from './sealing.js';
import { checkpointAnchor, insertCheckpoint, signCheckpoint } from './checkpoints.js';
import type { AnchorRecord } from './anchors.js';
import { actingContext } from '../auth/context.js';

export { GENESIS, hashOf } from './hash.js';

/**
 * The append-only audit log. Each event carries the hash of the one before it (per tenant) and
 * a MAC of the chain head it makes, keyed by the master keyring (never stored in the database),
 * and each head is appended to the anchor file outside the database: an edited, deleted,
 * reordered, re-hashed or truncated history is found by `verifyAudit` (verify.ts), which names
 * the first entry that does not hold. Appends are serialised per tenant through the
 * `audit_heads` row (locked FOR UPDATE on PostgreSQL).
 */
export type Severity = 'info' | 'warning' | 'error';

export interface AuditInput {
  readonly severity: Severity;
  readonly action: string;
  readonly actor?: string;
  readonly target?: { readonly type: string; readonly id: string; readonly name?: string | null };
  readonly message: string;
  readonly code?: ErrorCode | null;
  /** Params of the error code; never secrets. */
  readonly params?: ErrorParams | null;
}

export type AuditRow = Selectable<AuditEventsTable>;

export async function recordAudit(db: Kysely<Database>, dialect: Dialect, tenantId: string, input: AuditInput, nowMs = Date.now()): Promise<AuditRow> {
  const sealer = auditSealerOf(db);
  // Inside a request the signed-in person (or token) is the actor: services written before
  // sign-in existed pass the placeholder 'admin', which the request's identity replaces. An
  // explicit other actor (a job, 'system') is kept, with the request's address still recorded.
  const acting = actingContext();
  const actor = acting && (input.actor === undefined || input.actor === 'admin') ? acting.actor : (input.actor ?? 'system');
  const anchors: AnchorRecord[] = [];
  const written = await db.transaction().execute(async (trx) => {
    // A write first, so SQLite takes its write lock before the head is read.
    await trx.insertInto('audit_heads').values({ tenant_id: tenantId, seq: 0, hash: GENESIS, legacy_seq: null }).onConflict((oc) => oc.doNothing()).execute();
    let headQuery = trx.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId);
    if (dialect === 'postgres') headQuery = headQuery.forUpdate();
    const head = await headQuery.executeTakeFirstOrThrow();
    // Every column is hashed (canonical form 2, hash.ts): columns added here later are covered.
    const row: AuditRow = {
      tenant_id: tenantId,
      id: newId('aud', nowMs),
      seq: Number(head.seq) + 1,
      at: nowIso(nowMs),
      severity: input.severity,
      action: input.action,
      actor,
      target_type: input.target?.type ?? null,
      target_id: input.target?.id ?? null,
      target_name: input.target?.name ?? null,
      message: input.message,
      code: input.code ?? null,
      params_json: input.params ? JSON.stringify(input.params) : null,
      prev_hash: head.hash,
      hash_version: HASH_VERSION,
      hash: '',
      mac_kid: null,
      mac: null,
      actor_address: acting?.address ?? null,
      actor_agent: acting?.userAgent ? acting.userAgent.slice(0, 300) : null,
    };
    row.hash = hashOf(row);
    let legacySeq = head.legacy_seq === null ? null : Number(head.legacy_seq);
    if (sealer) {
      const { kid, key } = sealer.signingKey();
      row.mac_kid = kid;
      row.mac = headMac(key, tenantId, row.seq, row.hash);
      if (legacySeq === null) {
        // The first signed append: entries before it carry no MAC; pin them by their head.
        legacySeq = Number(head.seq);
        if (legacySeq > 0) {
          const cp = signCheckpoint(sealer, { tenantId, kind: 'legacy', seq: legacySeq, hash: head.hash, at: row.at, detail: { entries: legacySeq } });
          await insertCheckpoint(trx, cp);
          anchors.push(checkpointAnchor(cp));
        }
      }
      anchors.push({ v: 1, type: 'head', tenant: tenantId, seq: row.seq, hash: row.hash, at: row.at, kid, mac: row.mac });
    }
    await trx.insertInto('audit_events').values(row).execute();
    await trx.updateTable('audit_heads').set({ seq: row.seq, hash: row.hash, legacy_seq: legacySeq }).where('tenant_id', '=', tenantId).execute();
    return row;
  });
  // After the commit: an anchor never names an entry that was rolled back.
  for (const a of anchors) sealer?.anchors?.append(a);
  return written;
}

/** Records a failure from the catalogue, with its rendered cause as the message. */
export function auditError(code: ErrorCode, params: ErrorParams, action: string, target?: AuditInput['target']): AuditInput {
  const rendered = renderError(code, params);
  const level = rendered.scope === 'item' ? 'warning' : 'error';
  return { severity: level, action, target, message: `${rendered.title}: ${rendered.message}`, code, params };
}

export interface AuditQuery {
  severity?: Severity | undefined;
  action?: string | undefined;
  before?: string | undefined;
  /** Keyset: entries older than this seq (the last one of the previous page). */
  beforeSeq?: number | undefined;
  limit: number;
}

export async function queryAudit(db: Kysely<Database>, tenantId: string, q: AuditQuery): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
  if (q.severity) query = query.where('severity', '=', q.severity);
  // A prefix match on the action. LIKE's wildcards are escaped, not dropped: actions contain '_'
  // (policy.held_cycle_approved), and dropping it matched nothing.
  if (q.action) query = query.where(sql<boolean>`action LIKE ${`${q.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`);
  if (q.before) query = query.where('at', '<', q.before);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  return query.orderBy('seq', 'desc').limit(q.limit).execute();
}

/**
 * The hash chain alone, in order: the first seq whose content or link is broken, or null. It
 * cannot tell a history rewritten with recomputed hashes; `verifyAudit` (verify.ts) checks the
 * MACs, checkpoints and anchors too.
 */
export async function verifyChain(db: Kysely<Database>, tenantId: string): Promise<number | null> {
  const rows = await db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).orderBy('seq').execute();
  let prev = GENESIS;
  for (const row of rows) {
    if (row.prev_hash !== prev || hashOf(row) !== row.hash) return Number(row.seq);
    prev = row.hash;
  }
  return null;
}
