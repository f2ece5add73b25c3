import { z } from 'zod';
import type { SourceAccount, SourceGroup } from '../connectors/sdk/index.js';

/**
 * A policy's user selection rule.
 * - `all`: every enabled account;
 * - `rules`: accounts in any of `groups` (nested membership counts; none listed = any group)
 *   whose directory attributes match every `attributes` condition;
 * - `list`: only the accounts in `include`.
 * In every mode `include` adds accounts, and `exclude` (emails/UPNs) and `excludeGroups`
 * remove them; exclusion wins. Disabled accounts are never selected (the seed: disabled users
 * are "excluded from the policy automatically on the next sync cycle"). Comparisons ignore
 * case; groups are named by object id or display name.
 */
export const SELECTION_ATTRIBUTES = ['department', 'jobTitle', 'officeLocation', 'companyName', 'country', 'city', 'employeeType', 'usageLocation'] as const;
export type SelectionAttribute = (typeof SELECTION_ATTRIBUTES)[number];

const email = z.string().trim().toLowerCase().min(1).max(320);
const groupRef = z.string().trim().min(1).max(256);

export const attributeRuleSchema = z.object({
  attribute: z.enum(SELECTION_ATTRIBUTES),
  operator: z.enum(['equals', 'notEquals', 'startsWith', 'contains']).default('equals'),
  value: z.string().trim().min(1).max(256),
});
export type AttributeRule = z.infer<typeof attributeRuleSchema>;

export const selectionSchema = z.object({
  mode: z.enum(['all', 'rules', 'list']).default('all'),
  include: z.array(email).max(50_000).default([]),
  exclude: z.array(email).max(50_000).default([]),
  groups: z.array(groupRef).max(500).default([]),
  excludeGroups: z.array(groupRef).max(500).default([]),
  attributes: z.array(attributeRuleSchema).max(50).default([]),
});
export type Selection = z.infer<typeof selectionSchema>;

/** Whether evaluating the rule needs the account's group memberships (one source call per account). */
export function needsGroups(selection: Selection): boolean {
  return selection.excludeGroups.length > 0 || (selection.mode === 'rules' && selection.groups.length > 0);
}

/** One step of the decision, for "Why isn't this user syncing?". */
export interface SelectionStep {
  readonly rule: 'enabled' | 'exclude_list' | 'exclude_groups' | 'include_list' | 'mode_all' | 'list' | 'groups' | 'attribute';
  readonly outcome: 'pass' | 'fail' | 'skipped';
  readonly detail: string;
}

export interface SelectionDecision {
  readonly selected: boolean;
  /** Why not, in one word: the reason recorded on an excluded user. */
  readonly reason: ExclusionReason | null;
  readonly steps: readonly SelectionStep[];
}

export type ExclusionReason = 'disabled_in_source' | 'excluded_by_list' | 'excluded_by_group' | 'not_in_list' | 'not_in_groups' | 'attribute_mismatch' | 'deleted_in_source';

function keysOf(account: SourceAccount): string[] {
  return [account.userPrincipalName, account.mail].filter((k): k is string => !!k).map((k) => k.toLowerCase());
}

function inGroups(refs: readonly string[], groups: readonly SourceGroup[]): SourceGroup | undefined {
  const wanted = new Set(refs.map((r) => r.toLowerCase()));
  return groups.find((g) => wanted.has(g.id.toLowerCase()) || wanted.has(g.displayName.toLowerCase()));
}

export function attributeMatches(rule: AttributeRule, account: SourceAccount): boolean {
  const actual = (account.attributes?.[rule.attribute] ?? '').toLowerCase();
  const want = rule.value.toLowerCase();
  switch (rule.operator) {
    case 'equals':
      return actual === want;
    case 'notEquals':
      return actual !== want;
    case 'startsWith':
      return actual.startsWith(want);
    case 'contains':
      return actual.includes(want);
  }
}

/**
 * Decides whether the account is selected, step by step. `groups` is the account's
 * memberships, or null when they were not read (rules without groups never need them).
 */
export function decideSelection(selection: Selection, account: SourceAccount, groups: readonly SourceGroup[] | null): SelectionDecision {
  const steps: SelectionStep[] = [];
  const done = (selected: boolean, reason: ExclusionReason | null): SelectionDecision => ({ selected, reason, steps });
  if (!account.accountEnabled) {
    steps.push({ rule: 'enabled', outcome: 'fail', detail: 'The account is disabled (sign-in blocked) in the source.' });
    return done(false, 'disabled_in_source');
  }
  steps.push({ rule: 'enabled', outcome: 'pass', detail: 'The account is enabled in the source.' });
  const keys = keysOf(account);
  if (keys.some((k) => selection.exclude.includes(k))) {
    steps.push({ rule: 'exclude_list', outcome: 'fail', detail: 'The address is on the policy\'s exclude list.' });
    return done(false, 'excluded_by_list');
  }
  if (selection.excludeGroups.length > 0) {
    const hit = groups ? inGroups(selection.excludeGroups, groups) : undefined;
    if (hit) {
      steps.push({ rule: 'exclude_groups', outcome: 'fail', detail: `A member of the excluded group "${hit.displayName}".` });
      return done(false, 'excluded_by_group');
    }
    steps.push({ rule: 'exclude_groups', outcome: 'pass', detail: 'Not a member of any excluded group.' });
  }
  if (keys.some((k) => selection.include.includes(k))) {
    steps.push({ rule: 'include_list', outcome: 'pass', detail: 'The address is on the policy\'s include list.' });
    return done(true, null);
  }
  switch (selection.mode) {
    case 'all':
      steps.push({ rule: 'mode_all', outcome: 'pass', detail: 'The policy selects every enabled user.' });
      return done(true, null);
    case 'list':
      steps.push({ rule: 'list', outcome: 'fail', detail: 'The policy selects only the users on its include list, and this address is not on it.' });
      return done(false, 'not_in_list');
    case 'rules': {
      if (selection.groups.length > 0) {
        const hit = groups ? inGroups(selection.groups, groups) : undefined;
        if (!hit) {
          steps.push({ rule: 'groups', outcome: 'fail', detail: `Not a member (directly or through nested groups) of any of: ${selection.groups.join(', ')}.` });
          return done(false, 'not_in_groups');
        }
        steps.push({ rule: 'groups', outcome: 'pass', detail: `A member of "${hit.displayName}".` });
      }
      for (const rule of selection.attributes) {
        const actual = account.attributes?.[rule.attribute] ?? null;
        const ok = attributeMatches(rule, account);
        steps.push({ rule: 'attribute', outcome: ok ? 'pass' : 'fail', detail: `${rule.attribute} ${rule.operator} "${rule.value}" (the account has ${actual === null ? 'no value' : `"${actual}"`}).` });
        if (!ok) return done(false, 'attribute_mismatch');
      }
      return done(true, null);
    }
  }
}

export function selects(selection: Selection, account: SourceAccount, groups: readonly SourceGroup[] | null = null): boolean {
  return decideSelection(selection, account, groups).selected;
}

/**
 * The Google address for a Microsoft account: the same local part on the destination's
 * primary domain (a standby Workspace mirrors the tenant's addresses).
 */
export function destinationEmailFor(account: SourceAccount, destinationDomain: string): string {
  const address = (account.mail ?? account.userPrincipalName).toLowerCase();
  const local = address.split('@')[0] ?? address;
  return `${local}@${destinationDomain.toLowerCase()}`;
}
