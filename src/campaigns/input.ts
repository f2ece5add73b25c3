import { z } from 'zod';

/** The API contract's types (/work/briefs/campaigns-api.md): the campaign's settings as entered. */
export const ACCESS_KINDS = ['group_membership', 'directory_role', 'app_role', 'aws_group_membership', 'aws_policy', 'aws_access_key', 'google_admin_role', 'scim_group_membership'] as const;
export type AccessKind = (typeof ACCESS_KINDS)[number];
export const CAMPAIGN_STATUSES = ['draft', 'running', 'closing', 'closed', 'applying', 'held', 'applied', 'verified', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export type Remediation = 'none' | 'open' | 'applying' | 'success' | 'error' | 'manual';
export type Verification = null | 'pending' | 'verified' | 'did_not_stick';

const reviewerMode = z.enum(['manager', 'owner', 'named']);

export const campaignInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  ownerUserId: z.string().min(1).optional(),
  connectionIds: z.array(z.string().min(1)).min(1).max(100),
  kinds: z.array(z.enum(ACCESS_KINDS)).min(1),
  filters: z.object({
    guestsOnly: z.boolean().optional(),
    privilegedOnly: z.boolean().optional(),
    inactiveDays: z.number().int().min(1).max(3650).optional(),
    memberOfGroup: z.object({ connectionId: z.string().min(1), groupId: z.string().min(1) }).optional(),
  }).optional(),
  reviewers: z.object({ mode: reviewerMode, userIds: z.array(z.string().min(1)).optional(), fallbackUserId: z.string().min(1) })
    .refine((r) => r.mode !== 'named' || (r.userIds?.length ?? 0) > 0, { message: 'named reviewers need at least one user id', path: ['userIds'] }),
  secondStage: z.object({ mode: reviewerMode, userIds: z.array(z.string().min(1)).optional() })
    .refine((r) => r.mode !== 'named' || (r.userIds?.length ?? 0) > 0, { message: 'named reviewers need at least one user id', path: ['userIds'] })
    .nullable().optional(),
  durationDays: z.number().int().min(1).max(365),
  recurrence: z.object({
    every: z.enum(['none', 'monthly', 'quarterly', 'half_yearly', 'yearly']),
    until: z.string().datetime({ offset: true }).or(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
    times: z.number().int().min(1).max(1000).optional(),
  }).optional(),
  noResponse: z.enum(['keep', 'revoke', 'recommendation']),
  justification: z.enum(['on_revoke', 'always']),
  reminderDays: z.array(z.number().int().min(0).max(365)).max(10).optional(),
  escalation: z.object({ afterDays: z.number().int().min(1).max(365), to: z.enum(['manager', 'fallback']), mode: z.enum(['add', 'replace']) }).nullable().optional(),
  breaker: z.object({ maxShareOfResource: z.number().min(0).max(1), maxPerConnection: z.number().int().min(0) }).optional(),
  /** When the deadline closes the campaign, start the apply at once (still through the circuit breaker). Default off. */
  applyOnClose: z.boolean().optional(),
});

export type CampaignInput = z.infer<typeof campaignInputSchema>;

export const DEFAULT_REMINDER_DAYS = [7, 3, 1];
export const DEFAULT_BREAKER = { maxShareOfResource: 0.2, maxPerConnection: 500 };

/** The input with its defaults filled in (what a campaign shows and runs with). */
export function withDefaults(input: CampaignInput): CampaignInput & { reminderDays: number[]; breaker: { maxShareOfResource: number; maxPerConnection: number }; secondStage: CampaignInput['secondStage'] | null; escalation: CampaignInput['escalation'] | null; recurrence: NonNullable<CampaignInput['recurrence']>; filters: NonNullable<CampaignInput['filters']>; applyOnClose: boolean } {
  return {
    ...input,
    filters: input.filters ?? {},
    reminderDays: input.reminderDays ?? DEFAULT_REMINDER_DAYS,
    breaker: input.breaker ?? DEFAULT_BREAKER,
    secondStage: input.secondStage ?? null,
    escalation: input.escalation ?? null,
    recurrence: input.recurrence ?? { every: 'none' },
    applyOnClose: input.applyOnClose ?? false,
  };
}
