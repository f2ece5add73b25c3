import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { renderError, type ErrorParams, type RenderedError } from '../errors/index.js';
import { nowIso } from '../model/ids.js';
import { GENESIS, checkpointMac, hashOf, headMac, macMatches, uncoveredColumns } from './hash.js';
import { checkpointsOf, type CheckpointRow } from './checkpoints.js';
import { macKeysForVerification, type AuditSealer } from './sealing.js';
import type { AnchorRecord } from './anchors.js';

/**
 * Verifies one tenant's audit log against what someone who can write the database cannot forge:
 * - the hash chain (each entry's content against its hash, each link to the entry before it,
 *   seqs without gaps): an edited, deleted, inserted or swapped entry;
 * - each entry's MAC of the head it made (keys from the master keyring): a history rewritten
 *   with recomputed hashes from some entry on, whose MACs cannot be recomputed;
 * - the signed checkpoints (where MACs start, where retention cut the history);
 * - the anchor file outside the database: a log rolled back to an older, validly signed head
 *   (the newest entries deleted) or a checkpoint removed.
 * Every problem names its entry; `firstBroken` is the earliest. Reading is consistent with
 * appends running meanwhile: anchors are read first (they are written after each commit), then
 * the head, then the entries up to it.
 */
export type AuditProblemCode = 'audit.entry_altered' | 'audit.chain_link_broken' | 'audit.entry_missing' | 'audit.signature_invalid' | 'audit.signing_key_unknown' | 'audit.checkpoint_invalid';

export interface AuditProblem {
  readonly seq: number;
  /** The entry's id, when the entry exists. */
  readonly entryId: string | null;
  readonly at: string | null;
  readonly error: RenderedError;
}

export interface AuditVerifyReport {
  readonly schema: 'syncwarden.audit-verify/v1';
  readonly tenantId: string;
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly entries: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Entries carrying a valid MAC; the others are legacy entries (before MACs), pinned by a checkpoint. */
  readonly signed: number;
  readonly legacy: number;
  /** Key ids that signed the entries checked. */
  readonly keyIds: string[];
  /** Where the kept history starts after retention: entries up to `seq` were deleted. */
  readonly retention: { readonly seq: number; readonly at: string; readonly deleted: number | null } | null;
  readonly anchors: { readonly file: string | null; readonly checked: number; readonly latestSeq: number | null; readonly unreadable: number };
  readonly firstBroken: AuditProblem | null;
  /** Up to 50 problems, earliest first; `problemCount` is the total. */
  readonly problems: AuditProblem[];
  readonly problemCount: number;
}

const PAGE = 2_000;
const MAX_PROBLEMS = 50;

export async function verifyAudit(db: Kysely<Database>, sealer: AuditSealer, tenantId: string, nowMs = Date.now()): Promise<AuditVerifyReport> {
  const first = await verifyOnce(db, sealer, tenantId, nowMs);
  if (first.ok) return first;
  // Retention may have cut the history while this ran (a new checkpoint, then deletes): look again
  // once, so a legitimate change made meanwhile is not reported as tampering.
  return verifyOnce(db, sealer, tenantId, nowMs);
}

async function verifyOnce(db: Kysely<Database>, sealer: AuditSealer, tenantId: string, nowMs: number): Promise<AuditVerifyReport> {
  const keyFor = await macKeysForVerification(db, sealer);
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  const report = (seq: number, entry: { id: string; at: string } | null, code: AuditProblemCode, params: ErrorParams) => {
    problemCount += 1;
    problems.push({ seq, entryId: entry?.id ?? null, at: entry?.at ?? null, error: renderError(code, { seq, entry: entry?.id ?? '', at: entry?.at ?? '', ...params }) });
  };

  // 1. Anchors first (written after each commit: every one names a committed entry).
  const anchorFile = sealer.anchors?.read() ?? { records: [], unreadable: 0 };
  let unreadable = anchorFile.unreadable;
  const headAnchors: Extract<AnchorRecord, { type: 'head' }>[] = [];
  const checkpointAnchors: Extract<AnchorRecord, { type: 'checkpoint' }>[] = [];
  for (const a of anchorFile.records) {
    if (a.tenant !== tenantId) continue;
    const key = keyFor(a.kid);
    if (a.type === 'head') {
      if (key && macMatches(headMac(key, a.tenant, a.seq, a.hash), a.mac)) headAnchors.push(a);
      else unreadable += 1;
    } else if (key && macMatches(checkpointMac(key, { tenantId: a.tenant, kind: a.kind, seq: a.seq, hash: a.hash, at: a.at, detailJson: a.detail }), a.mac)) checkpointAnchors.push(a);
    else unreadable += 1;
  }
  headAnchors.sort((a, b) => a.seq - b.seq);

  // 2. Checkpoints: only MACed ones count.
  const checkpoints: CheckpointRow[] = [];
  for (const c of await checkpointsOf(db, tenantId)) {
    const key = keyFor(c.mac_kid);
    const seq = Number(c.seq);
    if (!key) {
      report(seq, null, 'audit.signing_key_unknown', { keyId: c.mac_kid });
      continue;
    }
    if (!macMatches(checkpointMac(key, { tenantId, kind: c.kind, seq, hash: c.hash, at: c.at, detailJson: c.detail_json }), c.mac)) {
      report(seq, null, 'audit.checkpoint_invalid', { kind: c.kind, detail: 'is not signed by Syncwarden (it was written or changed by someone without the master key)' });
      continue;
    }
    checkpoints.push({ ...c, seq });
  }
  for (const a of checkpointAnchors) {
    if (!checkpoints.some((c) => c.kind === a.kind && Number(c.seq) === a.seq && c.hash === a.hash)) {
      report(a.seq, null, 'audit.checkpoint_invalid', { kind: a.kind, detail: `was deleted from the database (the anchor file recorded it at ${a.at})` });
    }
  }
  const retention = checkpoints.filter((c) => c.kind === 'retention').at(-1) ?? null;
  const legacy = checkpoints.find((c) => c.kind === 'legacy') ?? null;
  const startSeq = retention ? Number(retention.seq) : 0;
  const legacyUpTo = legacy ? Number(legacy.seq) : 0;

  // 3. The head, then the entries up to it.
  const head = await db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  const headSeq = head ? Number(head.seq) : 0;

  let expected = startSeq + 1;
  let prev = retention ? retention.hash : GENESIS;
  let last: { seq: number; id: string; at: string; hash: string } | null = null;
  let firstSeq: number | null = null;
  let entries = 0;
  let signed = 0;
  let legacyCount = 0;
  const keyIds = new Set<string>();
  let anchorIdx = 0;
  while (anchorIdx < headAnchors.length && headAnchors[anchorIdx]!.seq <= startSeq) anchorIdx += 1;
  const pins = new Map<number, { hash: string; what: string }>();
  if (legacy && Number(legacy.seq) > startSeq) pins.set(Number(legacy.seq), { hash: legacy.hash, what: 'the legacy checkpoint' });

  let after = startSeq;
  for (;;) {
    const rows = await db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).where('seq', '>', after).where('seq', '<=', headSeq).orderBy('seq').limit(PAGE).execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      after = seq;
      entries += 1;
      firstSeq ??= seq;
      const entry = { id: row.id, at: row.at };
      let gap = false;
      if (seq > expected) {
        report(expected, null, 'audit.entry_missing', { detail: seq - expected === 1 ? `it was deleted (the log goes from #${expected - 1} to #${seq})` : `entries #${expected}–#${seq - 1} were deleted` });
        gap = true;
      }
      const recomputed = hashOf(row);
      const uncovered = uncoveredColumns(row);
      if (recomputed !== row.hash) report(seq, entry, 'audit.entry_altered', {});
      else if (uncovered.length) report(seq, entry, 'audit.entry_altered', {});
      if (!gap && row.prev_hash !== prev) report(seq, entry, 'audit.chain_link_broken', {});
      if (row.mac !== null || row.mac_kid !== null) {
        const key = row.mac_kid ? keyFor(row.mac_kid) : null;
        if (!key) report(seq, entry, row.mac_kid ? 'audit.signing_key_unknown' : 'audit.signature_invalid', { keyId: row.mac_kid ?? '', detail: 'has a signature without a key id' });
        else if (!macMatches(headMac(key, tenantId, seq, row.hash), row.mac)) report(seq, entry, 'audit.signature_invalid', { detail: 'has a signature that does not match it' });
        else {
          signed += 1;
          keyIds.add(row.mac_kid!);
        }
      } else if (seq > legacyUpTo) {
        report(seq, entry, 'audit.signature_invalid', { detail: 'has no signature, though it was written after the log was signed' });
      } else legacyCount += 1;
      const pin = pins.get(seq);
      if (pin && pin.hash !== row.hash) report(seq, entry, 'audit.checkpoint_invalid', { kind: 'legacy', detail: `does not match ${pin.what}: an entry up to #${seq} was changed` });
      while (anchorIdx < headAnchors.length && headAnchors[anchorIdx]!.seq < seq) anchorIdx += 1;
      while (anchorIdx < headAnchors.length && headAnchors[anchorIdx]!.seq === seq) {
        const a = headAnchors[anchorIdx++]!;
        if (a.hash !== row.hash) report(seq, entry, 'audit.signature_invalid', { detail: `differs from the head the anchor file recorded at ${a.at}` });
      }
      prev = row.hash;
      expected = seq + 1;
      last = { seq, id: row.id, at: row.at, hash: row.hash };
    }
    if (rows.length < PAGE) break;
  }

  // 4. The end: the head row, the anchors beyond the last entry, entries beyond the head.
  const lastSeq = last?.seq ?? startSeq;
  if (headSeq > lastSeq) report(lastSeq + 1, null, 'audit.entry_missing', { detail: `the log ends at #${lastSeq} but its head says #${headSeq}: the newest entries were deleted` });
  else if (head && last && head.hash !== last.hash) report(lastSeq, last, 'audit.chain_link_broken', {});
  const beyond = headAnchors.filter((a) => a.seq > lastSeq);
  if (beyond.length) {
    const newest = beyond.at(-1)!;
    report(lastSeq + 1, null, 'audit.entry_missing', { detail: `the log ends at #${lastSeq} but the anchor file recorded #${newest.seq} at ${newest.at}: the newest entries were deleted and the head rolled back` });
  }
  for (const [seq, pin] of pins) {
    if (seq > lastSeq) report(lastSeq + 1, null, 'audit.entry_missing', { detail: `the log ends at #${lastSeq} but ${pin.what} pins #${seq}: the newest entries were deleted` });
  }
  const stray = await db.selectFrom('audit_events').select(['seq', 'id', 'at']).where('tenant_id', '=', tenantId).where('seq', '>', headSeq).orderBy('seq').limit(1).executeTakeFirst();
  if (stray) {
    const headNow = await db.selectFrom('audit_heads').select('seq').where('tenant_id', '=', tenantId).executeTakeFirst();
    // Appended meanwhile (the head moved too) is fine; entries past a head that did not move are not.
    if (Number(headNow?.seq ?? 0) === headSeq) report(Number(stray.seq), { id: stray.id, at: stray.at }, 'audit.chain_link_broken', {});
  }

  problems.sort((a, b) => a.seq - b.seq);
  const retentionDetail = retention?.detail_json ? (JSON.parse(retention.detail_json) as { deleted?: number }) : null;
  return {
    schema: 'syncwarden.audit-verify/v1',
    tenantId,
    ok: problemCount === 0,
    checkedAt: nowIso(nowMs),
    entries,
    firstSeq,
    lastSeq: last?.seq ?? null,
    signed,
    legacy: legacyCount,
    keyIds: [...keyIds].sort(),
    retention: retention ? { seq: Number(retention.seq), at: retention.at, deleted: retentionDetail?.deleted ?? null } : null,
    anchors: { file: sealer.anchors?.path ?? null, checked: headAnchors.length + checkpointAnchors.length, latestSeq: headAnchors.at(-1)?.seq ?? null, unreadable },
    firstBroken: problems[0] ?? null,
    problems: problems.slice(0, MAX_PROBLEMS),
    problemCount,
  };
}

/** Every tenant with an audit log here or in the anchor file. */
export async function auditTenants(db: Kysely<Database>, sealer: AuditSealer): Promise<string[]> {
  const ids = new Set((await db.selectFrom('audit_heads').select('tenant_id').execute()).map((r) => r.tenant_id));
  for (const a of sealer.anchors?.read().records ?? []) ids.add(a.tenant);
  return [...ids].sort();
}
