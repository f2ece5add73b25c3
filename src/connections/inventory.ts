import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { listConnections } from '../store/connections-repo.js';
import { liveCredentials } from '../store/credentials-repo.js';
import { kindDisplayName, kindSpec } from './kinds/index.js';
import { viewCredential, type CredentialView } from './credentials.js';
import { EXPIRING_SOON_DAYS } from './expiry.js';

/**
 * The credential expiry inventory: every credential in use or waiting to be switched to, with
 * where its date comes from (read from the certificate, entered from the provider's console,
 * or a key-age policy), sorted by days left — the calendar reminders admins keep today.
 */
export const inventoryQuery = z.object({
  status: z.enum(['expired', 'expiring', 'ok', 'unknown']).optional(),
  kind: z.string().max(40).optional(),
  /** Only credentials expiring within this many days (expired ones included). */
  within: z.coerce.number().int().min(0).max(3650).optional(),
  q: z.string().max(200).optional(),
});
export type InventoryQuery = z.infer<typeof inventoryQuery>;

export type ExpiryStatus = 'expired' | 'expiring' | 'ok' | 'unknown';

export interface InventoryEntry extends CredentialView {
  connectionName: string;
  connectionKind: string;
  kindName: string;
  role: string;
  status: ExpiryStatus;
}

export function expiryStatus(daysLeft: number | null): ExpiryStatus {
  if (daysLeft === null) return 'unknown';
  if (daysLeft < 0) return 'expired';
  return daysLeft <= EXPIRING_SOON_DAYS ? 'expiring' : 'ok';
}

export async function credentialInventory(rt: Runtime, tenantId: string, q: InventoryQuery = {}): Promise<InventoryEntry[]> {
  const connections = new Map((await listConnections(rt.store.db, tenantId)).map((c) => [c.id, c]));
  const out: InventoryEntry[] = [];
  for (const row of await liveCredentials(rt.store.db, tenantId)) {
    const c = connections.get(row.connection_id);
    if (!c) continue;
    // Keyless sign-in has nothing that expires.
    if (kindSpec(c.kind).methods[row.method]?.keyless) continue;
    const v = viewCredential(c.kind, row, rt.now());
    const entry: InventoryEntry = { ...v, connectionName: c.name, connectionKind: c.kind, kindName: kindDisplayName(c.kind, c.role), role: c.role, status: expiryStatus(v.daysLeft) };
    if (q.status && entry.status !== q.status) continue;
    if (q.kind && c.kind !== q.kind) continue;
    if (q.within !== undefined && (entry.daysLeft === null || entry.daysLeft > q.within)) continue;
    if (q.q && !`${c.name} ${v.label} ${v.expiry.what}`.toLowerCase().includes(q.q.toLowerCase())) continue;
    out.push(entry);
  }
  // Soonest first; credentials without a date last, by name.
  return out.sort((a, b) => (a.daysLeft ?? Infinity) - (b.daysLeft ?? Infinity) || a.connectionName.localeCompare(b.connectionName));
}
