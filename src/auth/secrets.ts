import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session cookies, sign-in links and API tokens are 256-bit random secrets; the database keeps
 * only their SHA-256 (a fast hash is enough for secrets nobody can guess, unlike passwords), so
 * a copy of the database signs nobody in.
 */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
