import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError } from '../errors/index.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

/**
 * Passwords: scrypt (memory-hard; in Node's crypto, no native add-on) under a NIST 800-63B
 * policy — a length range rather than composition rules, and a list of common passwords.
 * Hashes are self-describing (`scrypt$N$r$p$salt$hash`), so the cost can rise later and old
 * hashes still verify.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

// N=2^15, r=8: 32 MiB and ~60 ms per hash here (OWASP's scrypt minimum is N=2^17 at r=8/p=1
// or N=2^15 with higher p; we take p=2 to stay near its work factor on a small machine).
const COST = { N: 1 << 15, r: 8, p: 2 } as const;
const KEY_LEN = 32;

let hashes = 0;
/** How many scrypt computations this process made (the throttling test bounds it). */
export function passwordHashCount(): number {
  return hashes;
}

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  hashes++;
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, KEY_LEN, { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 }, (e, key) => (e ? reject(e) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Spends the same work as a real check, so an unknown email answers as slowly as a wrong password. */
let dummy: string | null = null;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= await hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, dummy);
}

/** Throws auth.password_weak with the reason, or returns. */
export function checkPasswordPolicy(password: string, email?: string): void {
  const length = [...password.normalize('NFKC')].length;
  const weak = (reason: string) => new AppError('auth.password_weak', { reason });
  if (length < PASSWORD_MIN) throw weak(`has ${length} characters; at least ${PASSWORD_MIN} are needed`);
  if (length > PASSWORD_MAX) throw weak(`has more than ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  const stripped = lower.replace(/[\d\W_]+$/u, '');
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(stripped)) throw weak('is one of the most common passwords');
  if (/^(.)\1+$/u.test(password)) throw weak('repeats one character');
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) throw weak('contains your email name');
}
