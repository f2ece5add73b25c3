import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { SandboxKey } from './credentials.js';

/** Minimal RS256 JWS handling; the simulator checks exactly what Google checks, nothing more. */

export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) return null;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return null;
  }
}

/** True when one of the keys verifies the RS256 signature (gtoken sends no kid, so try each). */
export function verifiedByAny(jwt: DecodedJwt, keys: readonly SandboxKey[]): boolean {
  if (jwt.header['alg'] !== 'RS256') return false;
  const kid = typeof jwt.header['kid'] === 'string' ? jwt.header['kid'] : undefined;
  const candidates = kid ? keys.filter((k) => k.keyId === kid) : keys;
  return candidates.some((k) => verify('sha256', Buffer.from(jwt.signingInput), createPublicKey(k.publicKeyPem), jwt.signature));
}

export function signRs256(claims: Record<string, unknown>, key: SandboxKey): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: key.keyId, typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${header}.${payload}`;
  const signature = sign('sha256', Buffer.from(input), createPrivateKey(key.privateKeyPem)).toString('base64url');
  return `${input}.${signature}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
