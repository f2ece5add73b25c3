import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * App-generated ids: `<prefix>_<10 chars of time><16 chars of randomness>`. Time-ordered so
 * indexes stay append-friendly (a rowid table with random keys was measured 4x slower), and
 * the prefix tells a human what the id is ('conn_…', 'pol_…').
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${rand}`;
}

export function nowIso(nowMs: number = Date.now()): string {
  return new Date(nowMs).toISOString();
}
