import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { nowIso } from '../model/ids.js';
import { recordAudit } from './audit.js';
import { checkpointAnchor, insertCheckpoint, signCheckpoint } from './checkpoints.js';
import { auditSettingsView } from './settings.js';
import { verifyAudit } from './verify.js';

/**
 * Retention: entries older than the setting are deleted, and the log stays verifiable. Before
 * deleting, the whole log must verify — deleting unverified history would launder a change made
 * to it. Then a signed `retention` checkpoint pins the last deleted entry's hash (the kept history
 * chains from it) and goes to the anchor file, and only then are the entries deleted, in batches;
 * a crash in between leaves entries the checkpoint already excludes, deleted by the next run.
 *
 * The cut is by seq, at the first entry not older than the limit: the kept history is contiguous
 * even if clocks of several processes disagreed by a little.
 */
export interface RetentionOutcome {
  readonly deleted: number;
  /** Entries up to this seq are gone; the kept history starts after it. */
  readonly upToSeq: number;
}

const BATCH = 5_000;

export async function applyRetention(rt: Runtime, tenantId: string): Promise<RetentionOutcome | null> {
  const db = rt.store.db;
  const { retentionDays } = await auditSettingsView(db, tenantId);
  if (retentionDays === null) return null;
  const nowMs = rt.now();
  const cutoff = nowIso(nowMs - retentionDays * 86_400_000);
  const head = await db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!head) return null;
  const firstKept = await db.selectFrom('audit_events').select((eb) => eb.fn.min<number>('seq').as('seq')).where('tenant_id', '=', tenantId).where('at', '>=', cutoff).executeTakeFirst();
  const upTo = firstKept?.seq !== null && firstKept?.seq !== undefined ? Number(firstKept.seq) - 1 : Number(head.seq);

  const report = await verifyAudit(db, rt.auditSealer, tenantId, nowMs);
  const start = report.retention?.seq ?? 0;
  if (upTo <= start) {
    await deleteUpTo(rt, tenantId, start); // leftovers of a run that crashed mid-way
    return null;
  }
  if (!report.ok) throw new AppError('audit.retention_refused', { detail: `${report.firstBroken!.error.title} — ${report.firstBroken!.error.message}` });

  const last = await db.selectFrom('audit_events').select(['hash']).where('tenant_id', '=', tenantId).where('seq', '=', upTo).executeTakeFirstOrThrow();
  const count = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('seq', '<=', upTo).executeTakeFirstOrThrow();
  const deleted = Number(count.n);
  const cp = signCheckpoint(rt.auditSealer, { tenantId, kind: 'retention', seq: upTo, hash: last.hash, at: nowIso(nowMs), detail: { days: retentionDays, before: cutoff, deleted } });
  await insertCheckpoint(db, cp);
  rt.auditSealer.anchors?.append(checkpointAnchor(cp));
  await deleteUpTo(rt, tenantId, upTo);
  await recordAudit(db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'audit.retention_applied',
    actor: 'system',
    target: { type: 'audit_log', id: tenantId, name: 'Audit log' },
    message: `Deleted ${deleted} audit entr${deleted === 1 ? 'y' : 'ies'} older than ${retentionDays} days (up to #${upTo}); a signed checkpoint keeps the rest verifiable`,
    params: { upToSeq: upTo, deleted, days: retentionDays },
  }, nowMs);
  return { deleted, upToSeq: upTo };
}

async function deleteUpTo(rt: Runtime, tenantId: string, upTo: number): Promise<void> {
  const db = rt.store.db;
  const min = await db.selectFrom('audit_events').select((eb) => eb.fn.min<number>('seq').as('seq')).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (min?.seq === null || min?.seq === undefined) return;
  // Ranges of seqs (the (tenant, seq) index): short transactions that never hold the log's writers up for long.
  for (let lo = Number(min.seq) - 1; lo < upTo; lo += BATCH) {
    await db.deleteFrom('audit_events').where('tenant_id', '=', tenantId).where('seq', '>', lo).where('seq', '<=', Math.min(lo + BATCH, upTo)).execute();
  }
}
