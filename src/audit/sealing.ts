import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { SecretBox } from '../keys/secret-box.js';
import { auditMacKeyOf } from '../keys/keyring.js';
import { nowIso } from '../model/ids.js';
import type { AnchorLog } from './anchors.js';

/**
 * What signs the audit log of one store: MAC keys derived from the master keyring (so the key is
 * never in the database) and the anchor file. The composition root binds one per store
 * (`createRuntime`); `recordAudit` finds it by the database handle it is given, so the dozens of
 * places that record an event need not carry it.
 *
 * A master key retired from the keyring takes its MAC key with it, yet entries it signed must
 * stay verifiable: each MAC key is also kept in `audit_mac_keys`, sealed like any other secret
 * (and re-encrypted by key rotations), and read from there once its master key is gone.
 */
export interface AuditSealer {
  /** The MAC key of the keyring's primary: what new entries and checkpoints are signed with. */
  signingKey(): { readonly kid: string; readonly key: Buffer };
  /** A MAC key by id from the keyring; null when this keyring does not hold that master key. */
  keyringKey(kid: string): Buffer | null;
  readonly box: SecretBox;
  readonly anchors: AnchorLog | null;
}

export function createAuditSealer(box: SecretBox, anchors: AnchorLog | null): AuditSealer {
  const derived = new Map<string, Buffer>();
  const derive = (kid: string): Buffer | null => {
    const cached = derived.get(kid);
    if (cached) return cached;
    const master = box.keyring.get(kid);
    if (!master) return null;
    const key = auditMacKeyOf(master);
    derived.set(kid, key);
    return key;
  };
  return {
    box,
    anchors,
    signingKey() {
      const kid = box.keyring.state().primary.id;
      return { kid, key: derive(kid)! };
    },
    keyringKey: derive,
  };
}

const sealers = new WeakMap<object, AuditSealer>();

export function bindAuditSealer(db: Kysely<Database>, sealer: AuditSealer): void {
  sealers.set(db, sealer);
}

export function auditSealerOf(db: Kysely<Database>): AuditSealer | undefined {
  return sealers.get(db);
}

/** The associated data a stored MAC key is sealed for (installation-level, not a tenant's). */
export const auditMacKeyAad = (kid: string): string => `installation/audit-mac-key/${kid}`;

/** Keeps every keyring key's MAC key in `audit_mac_keys` (sealed), so it outlives the master key. */
export async function storeAuditMacKeys(db: Kysely<Database>, sealer: AuditSealer, nowMs = Date.now()): Promise<void> {
  const have = new Set((await db.selectFrom('audit_mac_keys').select('kid').execute()).map((r) => r.kid));
  for (const k of sealer.box.keyring.state().keys) {
    if (have.has(k.id)) continue;
    const key = sealer.keyringKey(k.id)!;
    await db
      .insertInto('audit_mac_keys')
      .values({ kid: k.id, ciphertext: sealer.box.seal(key.toString('base64'), auditMacKeyAad(k.id)), created_at: nowIso(nowMs) })
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
  }
}

/**
 * Every MAC key a verification may need: the keyring's, then those kept sealed in the database
 * for master keys no longer in the keyring. A stored key that does not open (tampered, or sealed
 * with a key this process lacks) is simply absent: entries signed with it are reported.
 */
export async function macKeysForVerification(db: Kysely<Database>, sealer: AuditSealer): Promise<(kid: string) => Buffer | null> {
  const stored = new Map<string, Buffer>();
  for (const row of await db.selectFrom('audit_mac_keys').selectAll().execute()) {
    try {
      const key = Buffer.from(sealer.box.open(row.ciphertext, auditMacKeyAad(row.kid)), 'base64');
      if (key.length === 32) stored.set(row.kid, key);
    } catch {
      // Not openable here: see above.
    }
  }
  return (kid) => sealer.keyringKey(kid) ?? stored.get(kid) ?? null;
}
