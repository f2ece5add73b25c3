import { z } from 'zod';
import type { SourceAccount } from '../connectors/sdk/index.js';

/**
 * A policy's user selection rule. 'all' takes every enabled account minus `exclude`;
 * 'list' takes only `include`. Entries are emails/UPNs compared case-insensitively.
 */
export const selectionSchema = z.object({
  mode: z.enum(['all', 'list']).default('all'),
  include: z.array(z.string().trim().toLowerCase()).default([]),
  exclude: z.array(z.string().trim().toLowerCase()).default([]),
});
export type Selection = z.infer<typeof selectionSchema>;

export function selects(selection: Selection, account: SourceAccount): boolean {
  if (!account.accountEnabled) return false;
  const keys = [account.userPrincipalName, account.mail].filter((k): k is string => !!k).map((k) => k.toLowerCase());
  if (keys.some((k) => selection.exclude.includes(k))) return false;
  if (selection.mode === 'all') return true;
  return keys.some((k) => selection.include.includes(k));
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
