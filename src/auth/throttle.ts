import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { nowIso } from '../model/ids.js';

/**
 * Sign-in throttling, checked BEFORE any password is hashed: each attempt is counted first (an
 * atomic upsert), and an attempt over the limit is refused without touching scrypt — so 1,000
 * wrong passwords against one account cost at most ACCOUNT_LIMIT hashes, even when they arrive
 * all at once. A success clears the account's count. An account over its limit is locked for
 * LOCK_MS (NIST 800-63B allows at most 100 consecutive failures; we lock sooner and briefly).
 */
export const WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;
export const ACCOUNT_LIMIT = 10;
export const ADDRESS_LIMIT = 50;

export interface AttemptVerdict {
  readonly allowed: boolean;
  /** When the refusal ends (ISO), if refused. */
  readonly until: string | null;
  /** 'account' or 'address': which limit refused it. */
  readonly subject: 'account' | 'address' | null;
  /** This attempt is the one that locked the account (audited once as a lockout). */
  readonly justLocked: boolean;
}

async function count(db: Kysely<Database>, key: string, limit: number, nowMs: number): Promise<{ over: boolean; until: string | null; justLocked: boolean }> {
  const now = nowIso(nowMs);
  // A window that ended (and is not locked) starts over.
  await db.deleteFrom('sign_in_throttle').where('key', '=', key).where('window_start', '<', nowIso(nowMs - WINDOW_MS))
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)])).execute();
  const row = await db.insertInto('sign_in_throttle').values({ key, failures: 1, window_start: now, locked_until: null })
    .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql<number>`sign_in_throttle.failures + 1` }))
    .returning(['failures', 'locked_until']).executeTakeFirstOrThrow();
  if (row.locked_until && row.locked_until > now) return { over: true, until: row.locked_until, justLocked: false };
  const failures = Number(row.failures);
  if (failures > limit) {
    const until = nowIso(nowMs + LOCK_MS);
    // Attempts racing past the limit all set the same lock; the counter is atomic, so exactly
    // one of them saw limit + 1 and reports the lockout (audited once).
    await db.updateTable('sign_in_throttle').set({ locked_until: until }).where('key', '=', key).where('locked_until', 'is', null).execute();
    return { over: true, until, justLocked: failures === limit + 1 };
  }
  return { over: false, until: null, justLocked: false };
}

/** Counts one attempt for the account and the address; refuses when either is over its limit. */
export async function countAttempt(db: Kysely<Database>, email: string, address: string | null, nowMs: number): Promise<AttemptVerdict> {
  const account = await count(db, `account:${email.toLowerCase()}`, ACCOUNT_LIMIT, nowMs);
  if (account.over) return { allowed: false, until: account.until, subject: 'account', justLocked: account.justLocked };
  if (address) {
    const addr = await count(db, `address:${address}`, ADDRESS_LIMIT, nowMs);
    if (addr.over) return { allowed: false, until: addr.until, subject: 'address', justLocked: false };
  }
  return { allowed: true, until: null, subject: null, justLocked: false };
}

/**
 * Single sign-on starts from one address. Each start stores an attempt (state, nonce, PKCE
 * verifier) until it expires, so a script hammering the start route would fill the table and
 * keep the database busy; a person needs a handful. Counted per address in the same windows.
 */
export const SSO_START_LIMIT = 100;

export async function countSsoStart(db: Kysely<Database>, address: string | null, nowMs: number): Promise<AttemptVerdict> {
  if (!address) return { allowed: true, until: null, subject: null, justLocked: false };
  const r = await count(db, `sso-start:${address}`, SSO_START_LIMIT, nowMs);
  return r.over ? { allowed: false, until: r.until, subject: 'address', justLocked: r.justLocked } : { allowed: true, until: null, subject: null, justLocked: false };
}

/** A successful sign-in: the account's count starts over, and the attempt is not a failure of the address. */
export async function clearAttempt(db: Kysely<Database>, email: string, address: string | null): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('key', '=', `account:${email.toLowerCase()}`).execute();
  if (address) await db.updateTable('sign_in_throttle').set({ failures: sql<number>`failures - 1` }).where('key', '=', `address:${address}`).where('failures', '>', 0).execute();
}

/** An owner unlocks an account (reset-password does). */
export async function unlockAccount(db: Kysely<Database>, email: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('key', '=', `account:${email.toLowerCase()}`).execute();
}
