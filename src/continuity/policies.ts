import { z } from 'zod';
import { nameText } from '../model/text.js';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { getPolicy, insertPolicy, listPolicies, updatePolicy, type PolicyRow } from '../store/policies-repo.js';
import { getConnection } from '../store/connections-repo.js';
import { recordAudit } from '../audit/audit.js';
import { fromJson, toJson } from '../store/json.js';
import { invalidInput } from '../connections/service.js';
import { enqueue, enqueueNow } from '../engine/jobs.js';
import { selectionSchema, type Selection } from './selection.js';

export const createPolicySchema = z.object({
  name: nameText(120),
  sourceConnectionId: z.string().min(1),
  destinationConnectionId: z.string().min(1),
  selection: selectionSchema.prefault({}),
  /** Minutes between delta cycles. */
  scheduleMinutes: z.number().int().min(1).max(24 * 60).default(15),
  /** The initial sync reads this many days back, newest first. */
  initialWindowDays: z.number().int().min(1).max(3650).default(30),
  /** Days after a user leaves the policy before the Google account Syncwarden created is deleted; null = never delete. */
  deletionDelayDays: z.number().int().min(0).max(3650).nullable().default(null),
  /** A cycle that would remove more than this share (percent) of the policy's users is held for approval; 0 = never hold. */
  massDeletionPercent: z.number().int().min(0).max(100).default(10),
  enabled: z.boolean().default(false),
});

export const updatePolicySchema = z.object({
  name: createPolicySchema.shape.name.optional(),
  sourceConnectionId: z.string().min(1).optional(),
  destinationConnectionId: z.string().min(1).optional(),
  selection: selectionSchema.optional(),
  scheduleMinutes: z.number().int().min(1).max(24 * 60).optional(),
  initialWindowDays: z.number().int().min(1).max(3650).optional(),
  deletionDelayDays: z.number().int().min(0).max(3650).nullable().optional(),
  massDeletionPercent: z.number().int().min(0).max(100).optional(),
  enabled: z.boolean().optional(),
});

/** A cycle held by the mass-deletion guard: who it would remove, awaiting an admin. */
export interface HeldCycle {
  readonly at: string;
  readonly percent: number;
  readonly threshold: number;
  readonly activeCount: number;
  readonly removals: readonly { readonly syncUserId: string; readonly sourceUserId: string; readonly email: string; readonly reason: string }[];
}

export interface PolicyView {
  id: string;
  name: string;
  sourceConnectionId: string;
  destinationConnectionId: string;
  selection: Selection;
  scheduleMinutes: number;
  initialWindowDays: number;
  deletionDelayDays: number | null;
  massDeletionPercent: number;
  enabled: boolean;
  heldCycle: HeldCycle | null;
  lastCycleAt: string | null;
  nextCycleAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function viewPolicy(row: PolicyRow): PolicyView {
  return {
    id: row.id,
    name: row.name,
    sourceConnectionId: row.source_connection_id,
    destinationConnectionId: row.destination_connection_id,
    selection: selectionSchema.parse(fromJson(row.selection_json, {})),
    scheduleMinutes: Number(row.schedule_minutes),
    initialWindowDays: Number(row.initial_window_days),
    deletionDelayDays: row.deletion_delay_days === null ? null : Number(row.deletion_delay_days),
    massDeletionPercent: Number(row.mass_deletion_percent),
    enabled: Number(row.enabled) === 1,
    heldCycle: fromJson<HeldCycle | null>(row.held_cycle_json, null),
    lastCycleAt: row.last_cycle_at,
    nextCycleAt: row.next_cycle_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function requirePolicy(rt: Runtime, tenantId: string, id: string): Promise<PolicyRow> {
  const row = await getPolicy(rt.store.db, tenantId, id);
  if (!row) throw new AppError('request.not_found', { entity: 'policy', id });
  return row;
}

export async function checkConnections(rt: Runtime, tenantId: string, sourceId: string, destinationId: string): Promise<void> {
  const source = await getConnection(rt.store.db, tenantId, sourceId);
  if (!source) throw new AppError('request.invalid', { detail: `sourceConnectionId: no connection ${sourceId}` });
  if (source.role !== 'continuity_source') throw new AppError('request.invalid', { detail: `sourceConnectionId: "${source.name}" is not a continuity source` });
  const dest = await getConnection(rt.store.db, tenantId, destinationId);
  if (!dest) throw new AppError('request.invalid', { detail: `destinationConnectionId: no connection ${destinationId}` });
  if (dest.role !== 'continuity_destination') throw new AppError('request.invalid', { detail: `destinationConnectionId: "${dest.name}" is not a continuity destination` });
}

export async function listPolicyViews(rt: Runtime, tenantId: string): Promise<PolicyView[]> {
  return (await listPolicies(rt.store.db, tenantId)).map(viewPolicy);
}

export async function createPolicy(rt: Runtime, tenantId: string, body: unknown, actor = 'admin'): Promise<PolicyView> {
  let input;
  try {
    input = createPolicySchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  await checkConnections(rt, tenantId, input.sourceConnectionId, input.destinationConnectionId);
  const id = newId('pol', rt.now());
  const now = nowIso(rt.now());
  await insertPolicy(rt.store.db, tenantId, {
    id,
    name: input.name,
    source_connection_id: input.sourceConnectionId,
    destination_connection_id: input.destinationConnectionId,
    selection_json: toJson(input.selection),
    schedule_minutes: input.scheduleMinutes,
    initial_window_days: input.initialWindowDays,
    enabled: input.enabled ? 1 : 0,
    last_cycle_at: null,
    next_cycle_at: input.enabled ? now : null,
    created_at: now,
    updated_at: now,
    deletion_delay_days: input.deletionDelayDays,
    mass_deletion_percent: input.massDeletionPercent,
    held_cycle_json: null,
    approved_removals_json: null,
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'policy.created', actor, target: { type: 'policy', id, name: input.name },
    message: `Policy "${input.name}" created${input.enabled ? ' and enabled' : ''}`,
  });
  return viewPolicy((await getPolicy(rt.store.db, tenantId, id))!);
}

export async function editPolicy(rt: Runtime, tenantId: string, id: string, body: unknown, actor = 'admin'): Promise<PolicyView> {
  const row = await requirePolicy(rt, tenantId, id);
  let input;
  try {
    input = updatePolicySchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  await checkConnections(rt, tenantId, input.sourceConnectionId ?? row.source_connection_id, input.destinationConnectionId ?? row.destination_connection_id);
  const patch: Parameters<typeof updatePolicy>[3] = { updated_at: nowIso(rt.now()) };
  const changed: string[] = [];
  if (input.name !== undefined) (patch.name = input.name), changed.push('name');
  if (input.sourceConnectionId !== undefined) (patch.source_connection_id = input.sourceConnectionId), changed.push('source');
  if (input.destinationConnectionId !== undefined) (patch.destination_connection_id = input.destinationConnectionId), changed.push('destination');
  if (input.selection !== undefined) {
    patch.selection_json = toJson(input.selection);
    // A new rule is judged afresh: an approval given for the old rule's removals lapses.
    patch.approved_removals_json = null;
    patch.held_cycle_json = null;
    changed.push('user selection');
  }
  if (input.scheduleMinutes !== undefined) (patch.schedule_minutes = input.scheduleMinutes), changed.push('schedule');
  if (input.initialWindowDays !== undefined) (patch.initial_window_days = input.initialWindowDays), changed.push('initial window');
  if (input.deletionDelayDays !== undefined) (patch.deletion_delay_days = input.deletionDelayDays), changed.push('deletion delay');
  if (input.massDeletionPercent !== undefined) (patch.mass_deletion_percent = input.massDeletionPercent), changed.push('mass-deletion threshold');
  await updatePolicy(rt.store.db, tenantId, id, patch);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'policy.edited', actor, target: { type: 'policy', id, name: patch.name ?? row.name },
    message: `Policy "${patch.name ?? row.name}" edited (${changed.join(', ') || 'no changes'})`,
  });
  if (input.enabled !== undefined && input.enabled !== (Number(row.enabled) === 1)) return setPolicyEnabled(rt, tenantId, id, input.enabled, actor);
  return viewPolicy((await getPolicy(rt.store.db, tenantId, id))!);
}

export async function setPolicyEnabled(rt: Runtime, tenantId: string, id: string, enabled: boolean, actor = 'admin'): Promise<PolicyView> {
  const row = await requirePolicy(rt, tenantId, id);
  const now = nowIso(rt.now());
  // Enabling makes the first cycle due now; disabling stops scheduling (running jobs finish).
  await updatePolicy(rt.store.db, tenantId, id, { enabled: enabled ? 1 : 0, next_cycle_at: enabled ? now : null, updated_at: now });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: enabled ? 'policy.enabled' : 'policy.disabled', actor, target: { type: 'policy', id, name: row.name },
    message: `Policy "${row.name}" ${enabled ? 'enabled' : 'disabled'}`,
  });
  return viewPolicy((await getPolicy(rt.store.db, tenantId, id))!);
}

export function cycleJob(policyId: string) {
  return { kind: 'policy.cycle', dedupeKey: `cycle:${policyId}`, payload: { policyId } } as const;
}

/**
 * "Run now": queues a cycle regardless of the schedule; one queued for later (a retry's
 * backoff) starts now, and a running one runs again when it ends.
 */
export async function runPolicyNow(rt: Runtime, tenantId: string, id: string, actor = 'admin'): Promise<{ queued: boolean }> {
  const row = await requirePolicy(rt, tenantId, id);
  const queued = await enqueueNow(rt.store.db, tenantId, cycleJob(id), rt.now());
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'policy.run_requested', actor, target: { type: 'policy', id, name: row.name },
    message: queued ? `Sync cycle queued for policy "${row.name}"` : `A sync cycle for policy "${row.name}" is already queued or running; a running one runs again when it ends`,
  });
  return { queued };
}

/**
 * Approves the held cycle: its removals are allowed (by source user id) and a cycle runs now
 * to apply them. Users the next cycle would remove beyond the approved ones are judged anew.
 */
export async function approveHeldCycle(rt: Runtime, tenantId: string, id: string, actor = 'admin'): Promise<PolicyView> {
  const row = await requirePolicy(rt, tenantId, id);
  const held = fromJson<HeldCycle | null>(row.held_cycle_json, null);
  if (!held) throw new AppError('request.invalid', { detail: `policy "${row.name}" has no cycle held for approval` });
  const approved = [...new Set([...fromJson<string[]>(row.approved_removals_json, []), ...held.removals.map((r) => r.sourceUserId)])];
  await updatePolicy(rt.store.db, tenantId, id, { approved_removals_json: toJson(approved), held_cycle_json: null, updated_at: nowIso(rt.now()) });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'policy.held_cycle_approved', actor, target: { type: 'policy', id, name: row.name },
    message: `Held cycle of policy "${row.name}" approved: ${held.removals.length} user(s) will be removed`,
  });
  await enqueue(rt.store.db, tenantId, { ...cycleJob(id), again: true }, rt.now());
  return viewPolicy((await getPolicy(rt.store.db, tenantId, id))!);
}

/** Rejects the held cycle: nothing is removed; the next cycle holds again while the cause remains. */
export async function rejectHeldCycle(rt: Runtime, tenantId: string, id: string, actor = 'admin'): Promise<PolicyView> {
  const row = await requirePolicy(rt, tenantId, id);
  const held = fromJson<HeldCycle | null>(row.held_cycle_json, null);
  if (!held) throw new AppError('request.invalid', { detail: `policy "${row.name}" has no cycle held for approval` });
  await updatePolicy(rt.store.db, tenantId, id, { held_cycle_json: null, updated_at: nowIso(rt.now()) });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'policy.held_cycle_rejected', actor, target: { type: 'policy', id, name: row.name },
    message: `Held cycle of policy "${row.name}" rejected: no users removed`,
  });
  return viewPolicy((await getPolicy(rt.store.db, tenantId, id))!);
}
