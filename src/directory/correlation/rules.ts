import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import { recordAudit } from '../../audit/audit.js';
import { enqueue } from '../../engine/jobs.js';
import { nowIso } from '../../model/ids.js';
import { fromJson, toJson } from '../../store/json.js';
import { invalidInput } from '../../connections/credentials.js';

/**
 * Correlation rules: which attribute makes two accounts the same person. The list order is the
 * precedence an account's `matchedBy` reports (the first enabled rule that links it); stored in
 * directory_settings.rules_json, one row per tenant.
 */
export const ruleAttributes = ['email', 'user_name', 'employee_id'] as const;
export type RuleAttribute = (typeof ruleAttributes)[number];

export const ruleSchema = z.object({ attribute: z.enum(ruleAttributes), enabled: z.boolean() });
export type CorrelationRule = z.infer<typeof ruleSchema>;

/** Each attribute at most once: a rule listed twice would make precedence ambiguous. */
export const rulesSchema = z
  .array(ruleSchema)
  .max(ruleAttributes.length)
  .refine((rules) => new Set(rules.map((r) => r.attribute)).size === rules.length, { message: 'each attribute may appear once' });

export const updateRulesSchema = z.object({ rules: rulesSchema });

export const DEFAULT_RULES: readonly CorrelationRule[] = [
  { attribute: 'email', enabled: true },
  { attribute: 'user_name', enabled: true },
  { attribute: 'employee_id', enabled: true },
];

export const RULE_LABELS: Record<RuleAttribute, string> = { email: 'email', user_name: 'user name', employee_id: 'employee id' };

/** The job that recomputes identities, and its dedupe key: the same as the engine queues after a sync (src/directory/sync/run.ts). */
export const CORRELATE_JOB = 'directory.correlate';
export const CORRELATE_DEDUPE = 'directory:correlate';

export interface CorrelationSettings {
  readonly rules: CorrelationRule[];
  readonly correlatedAt: string | null;
}

/** Stored rules; the defaults when none were saved (or the stored text is unreadable). */
export function parseRules(json: string | null | undefined): CorrelationRule[] {
  const r = rulesSchema.safeParse(fromJson<unknown>(json, null));
  return r.success ? r.data : DEFAULT_RULES.map((x) => ({ ...x }));
}

export async function loadCorrelationSettings(rt: Runtime, tenantId: string): Promise<CorrelationSettings> {
  const row = await rt.store.db.selectFrom('directory_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  return { rules: parseRules(row?.rules_json), correlatedAt: row?.correlated_at ?? null };
}

/**
 * Whether identities are being matched again right now: a correlation is queued or running (a
 * directory sync changed something, the rules changed, a connection's accounts were removed).
 * A sync that changed nothing queues none, so "a directory synced after the last match" does
 * not mean the identities are out of date.
 */
export async function correlationPending(rt: Runtime, tenantId: string): Promise<boolean> {
  const row = await rt.store.db.selectFrom('jobs').select('id')
    .where('tenant_id', '=', tenantId).where('dedupe_key', '=', CORRELATE_DEDUPE).where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return row !== undefined;
}

/** Saves new rules (audited: they change who is whom in reviews) and queues a re-correlation. */
export async function saveCorrelationRules(rt: Runtime, tenantId: string, input: unknown, actor = 'admin'): Promise<CorrelationSettings> {
  let rules: CorrelationRule[];
  try {
    rules = updateRulesSchema.parse(input).rules;
  } catch (e) {
    invalidInput(e);
  }
  const before = await loadCorrelationSettings(rt, tenantId);
  const now = nowIso(rt.now());
  await rt.store.db
    .insertInto('directory_settings')
    .values({ tenant_id: tenantId, rules_json: toJson(rules), correlated_at: null, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ rules_json: toJson(rules), updated_at: now }))
    .execute();
  if (describeRules(before.rules) !== describeRules(rules)) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info',
      action: 'directory.rules_changed',
      actor,
      target: { type: 'directory', id: 'correlation', name: 'Correlation rules' },
      message: `Correlation rules changed from "${describeRules(before.rules)}" to "${describeRules(rules)}"`,
    }, rt.now());
  }
  await enqueue(rt.store.db, tenantId, { kind: CORRELATE_JOB, dedupeKey: CORRELATE_DEDUPE, payload: {} }, rt.now());
  return { rules, correlatedAt: before.correlatedAt };
}

/** 'email, user name (off), employee id' — for the audit log and the CLI. */
export function describeRules(rules: readonly CorrelationRule[]): string {
  if (rules.length === 0) return 'no rules';
  return rules.map((r) => `${RULE_LABELS[r.attribute]}${r.enabled ? '' : ' (off)'}`).join(', ');
}
