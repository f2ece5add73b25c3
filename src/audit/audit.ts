import { createHash } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEventsTable, Database } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import { newId, nowIso } from '../model/ids.js';
import { renderError, type ErrorCode, type ErrorParams } from '../errors/index.js';

/**
 * The append-only audit log. Each event carries the hash of the one before it (per tenant),
 * so an edited or deleted row breaks the chain and `verifyChain` finds where. Appends are
 * serialised per tenant through the `audit_heads` row (locked FOR UPDATE on PostgreSQL).
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

const GENESIS = '0'.repeat(64);

export async function recordAudit(db: Kysely<Database>, dialect: Dialect, tenantId: string, input: AuditInput, nowMs = Date.now()): Promise<AuditRow> {
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('audit_heads').values({ tenant_id: tenantId, seq: 0, hash: GENESIS }).onConflict((oc) => oc.doNothing()).execute();
    let headQuery = trx.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId);
    if (dialect === 'postgres') headQuery = headQuery.forUpdate();
    const head = await headQuery.executeTakeFirstOrThrow();
    const row: AuditRow = {
      tenant_id: tenantId,
      id: newId('aud', nowMs),
      seq: Number(head.seq) + 1,
      at: nowIso(nowMs),
      severity: input.severity,
      action: input.action,
      actor: input.actor ?? 'system',
      target_type: input.target?.type ?? null,
      target_id: input.target?.id ?? null,
      target_name: input.target?.name ?? null,
      message: input.message,
      code: input.code ?? null,
      params_json: input.params ? JSON.stringify(input.params) : null,
      prev_hash: head.hash,
      hash: '',
    };
    row.hash = hashOf(row);
    await trx.insertInto('audit_events').values(row).execute();
    await trx.updateTable('audit_heads').set({ seq: row.seq, hash: row.hash }).where('tenant_id', '=', tenantId).execute();
    return row;
  });
}

/** Records a failure from the catalogue, with its rendered cause as the message. */
export function auditError(code: ErrorCode, params: ErrorParams, action: string, target?: AuditInput['target']): AuditInput {
  const rendered = renderError(code, params);
  const level = rendered.scope === 'item' ? 'warning' : 'error';
  return { severity: level, action, target, message: `${rendered.title}: ${rendered.message}`, code, params };
}

export function hashOf(row: Omit<AuditRow, 'hash'>): string {
  const canonical = JSON.stringify([
    row.tenant_id, row.id, row.seq, row.at, row.severity, row.action, row.actor,
    row.target_type, row.target_id, row.target_name, row.message, row.code, row.params_json, row.prev_hash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export interface AuditQuery {
  severity?: Severity | undefined;
  action?: string | undefined;
  before?: string | undefined;
  limit: number;
}

export async function queryAudit(db: Kysely<Database>, tenantId: string, q: AuditQuery): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
  if (q.severity) query = query.where('severity', '=', q.severity);
  // A prefix match on the action. LIKE's wildcards are escaped, not dropped: actions contain '_'
  // (policy.held_cycle_approved), and dropping it matched nothing.
  if (q.action) query = query.where(sql<boolean>`action LIKE ${`${q.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`);
  if (q.before) query = query.where('at', '<', q.before);
  return query.orderBy('seq', 'desc').limit(q.limit).execute();
}

/** Walks the chain in order; returns the first broken seq, or null when intact. */
export async function verifyChain(db: Kysely<Database>, tenantId: string): Promise<number | null> {
  const rows = await db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).orderBy('seq').execute();
  let prev = GENESIS;
  for (const row of rows) {
    if (row.prev_hash !== prev || hashOf(row) !== row.hash) return Number(row.seq);
    prev = row.hash;
  }
  return null;
}
