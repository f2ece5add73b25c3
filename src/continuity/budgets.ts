import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { createDbRateGate, limitsByPrefix, type BudgetLimit, type DbRateGate } from '../engine/rate-budget.js';
import { recordAudit } from '../audit/audit.js';
import { invalidInput } from '../connections/service.js';

/**
 * The rate budgets continuity spends, per tenant, shared by every worker through the
 * database. Defaults are the providers' published limits:
 * - source mailbox: Outlook allows 10,000 requests per 10 minutes and 4 concurrent requests
 *   per app and mailbox (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits);
 * - destination user / project: Gmail quota units per minute, 6,000 per user (the 2026 figure
 *   for new projects) and 1,200,000 per project
 *   (https://developers.google.com/workspace/gmail/api/reference/quota).
 * Raise them only after the provider raised yours; Syncwarden paces to them, never above.
 */
export const budgetSettingsSchema = z.object({
  sourceMailbox: z
    .object({
      requests: z.number().int().min(1).max(10_000_000).default(10_000),
      windowMinutes: z.number().int().min(1).max(1440).default(10),
      concurrent: z.number().int().min(1).max(64).default(4),
    })
    .prefault({}),
  destinationUser: z.object({ unitsPerMinute: z.number().int().min(25).max(100_000_000).default(6_000) }).prefault({}),
  destinationProject: z.object({ unitsPerMinute: z.number().int().min(25).max(1_000_000_000).default(1_200_000) }).prefault({}),
});
export type BudgetSettings = z.infer<typeof budgetSettingsSchema>;
export const updateBudgetsSchema = z.object({
  sourceMailbox: budgetSettingsSchema.shape.sourceMailbox.unwrap().partial().optional(),
  destinationUser: budgetSettingsSchema.shape.destinationUser.unwrap().partial().optional(),
  destinationProject: budgetSettingsSchema.shape.destinationProject.unwrap().partial().optional(),
});

export const DEFAULT_BUDGETS: BudgetSettings = budgetSettingsSchema.parse({});

export function limitsOf(settings: BudgetSettings): Record<string, BudgetLimit> {
  return {
    'source:mailbox:': { amount: settings.sourceMailbox.requests, windowMs: settings.sourceMailbox.windowMinutes * 60_000, concurrent: settings.sourceMailbox.concurrent },
    // Reverse recovery's writes: Outlook allows 150 MB of uploads (POST/PATCH/PUT bodies) per 5 minutes per app and mailbox.
    'source:upload:': { amount: 150 * 1024 * 1024, windowMs: 5 * 60_000 },
    'destination:user:': { amount: settings.destinationUser.unitsPerMinute, windowMs: 60_000 },
    'destination:project:': { amount: settings.destinationProject.unitsPerMinute, windowMs: 60_000 },
  };
}

export async function loadBudgets(rt: Runtime, tenantId: string): Promise<BudgetSettings> {
  const row = await rt.store.db.selectFrom('continuity_settings').select('budgets_json').where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) return DEFAULT_BUDGETS;
  const parsed = budgetSettingsSchema.safeParse(JSON.parse(row.budgets_json));
  return parsed.success ? parsed.data : DEFAULT_BUDGETS;
}

export async function saveBudgets(rt: Runtime, tenantId: string, body: unknown, actor = 'admin'): Promise<BudgetSettings> {
  let patch;
  try {
    patch = updateBudgetsSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const current = await loadBudgets(rt, tenantId);
  const next = budgetSettingsSchema.parse({
    sourceMailbox: { ...current.sourceMailbox, ...patch.sourceMailbox },
    destinationUser: { ...current.destinationUser, ...patch.destinationUser },
    destinationProject: { ...current.destinationProject, ...patch.destinationProject },
  });
  const now = nowIso(rt.now());
  await rt.store.db
    .insertInto('continuity_settings')
    .values({ tenant_id: tenantId, budgets_json: JSON.stringify(next), updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ budgets_json: JSON.stringify(next), updated_at: now }))
    .execute();
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'continuity.budgets_changed', actor,
    message: `Rate budgets set: source mailbox ${next.sourceMailbox.requests} requests / ${next.sourceMailbox.windowMinutes} min, ${next.sourceMailbox.concurrent} at once; destination ${next.destinationUser.unitsPerMinute} units / min per user, ${next.destinationProject.unitsPerMinute} per project`,
  });
  const cached = gates.get(rt)?.get(tenantId);
  if (cached) cached.loadedAt = 0; // every process re-reads within a few seconds; this one at once
  return next;
}

/** How long a request may wait for its budget before the user's sync parks as Throttled. */
export const YIELD_AFTER_MS = 30_000;
/** Settings are re-read this often, so a change reaches every worker process. */
const RELOAD_MS = 5_000;

interface TenantGate {
  gate: DbRateGate;
  limits: Record<string, BudgetLimit>;
  settings: BudgetSettings;
  loadedAt: number;
}
const gates = new WeakMap<Runtime, Map<string, TenantGate>>();

/** The tenant's rate gate (one per process and tenant), with its current settings. */
export async function tenantGate(rt: Runtime, tenantId: string): Promise<{ gate: DbRateGate; settings: BudgetSettings }> {
  let byTenant = gates.get(rt);
  if (!byTenant) gates.set(rt, (byTenant = new Map()));
  let g = byTenant.get(tenantId);
  if (!g) {
    const holder: TenantGate = { gate: undefined as unknown as DbRateGate, limits: limitsOf(DEFAULT_BUDGETS), settings: DEFAULT_BUDGETS, loadedAt: 0 };
    const limitFor = (key: string) => limitsByPrefix(holder.limits)(key);
    holder.gate = createDbRateGate({ db: rt.store.db, dialect: rt.store.dialect, limitFor, now: rt.now, yieldAfterMs: YIELD_AFTER_MS, maxSleepMs: 1_000 });
    byTenant.set(tenantId, (g = holder));
  }
  if (rt.now() - g.loadedAt > RELOAD_MS) {
    g.settings = await loadBudgets(rt, tenantId);
    g.limits = limitsOf(g.settings);
    g.loadedAt = rt.now();
  }
  return { gate: g.gate, settings: g.settings };
}
