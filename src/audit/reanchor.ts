import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { recordAudit } from './audit.js';
import { checkpointAnchor, checkpointsOf } from './checkpoints.js';
import { checkpointMac, headMac, macMatches } from './hash.js';
import { macKeysForVerification } from './sealing.js';

/**
 * `syncwarden audit reanchor`: after restoring a database backup on purpose, the anchor file
 * remembers entries the restored database no longer has, and every check reports them missing —
 * truthfully. An admin accepts the shorter history with this: the old file is kept beside the
 * new one as evidence, a new one anchors the current heads and checkpoints, and the log records
 * that it happened. It needs write access to the data folder, which the threat model's attacker
 * (someone who can write the database) does not have.
 */
export async function reanchor(rt: Runtime, actor = 'cli'): Promise<{ archivedTo: string | null; tenants: string[] }> {
  const anchors = rt.auditSealer.anchors;
  if (!anchors) throw new AppError('request.invalid', { detail: 'this process has no audit anchor file' });
  const db = rt.store.db;
  const keyFor = await macKeysForVerification(db, rt.auditSealer);
  const archivedTo = anchors.archive(new Date(rt.now()).toISOString().replace(/[:.]/g, '-'));
  const tenants = (await db.selectFrom('audit_heads').select('tenant_id').orderBy('tenant_id').execute()).map((r) => r.tenant_id);
  for (const tenantId of tenants) {
    for (const c of await checkpointsOf(db, tenantId)) {
      const key = keyFor(c.mac_kid);
      if (key && macMatches(checkpointMac(key, { tenantId, kind: c.kind, seq: Number(c.seq), hash: c.hash, at: c.at, detailJson: c.detail_json }), c.mac)) anchors.append(checkpointAnchor(c));
    }
    await recordAudit(db, rt.store.dialect, tenantId, {
      severity: 'warning',
      action: 'audit.reanchored',
      actor,
      target: { type: 'audit_log', id: tenantId, name: 'Audit log' },
      message: `Audit anchors restarted from the log as it is now${archivedTo ? `; the previous anchor file was kept as ${archivedTo}` : ''}`,
    }, rt.now());
    // recordAudit anchored the new head; entries before it are covered through the chain.
    const head = await db.selectFrom('audit_events').select(['seq', 'hash', 'mac', 'mac_kid']).where('tenant_id', '=', tenantId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const key = head?.mac_kid ? keyFor(head.mac_kid) : null;
    if (!head || !key || !macMatches(headMac(key, tenantId, Number(head.seq), head.hash), head.mac)) throw new AppError('internal.unexpected', { detail: 'the new head of the audit log is not signed' });
  }
  return { archivedTo, tenants };
}
