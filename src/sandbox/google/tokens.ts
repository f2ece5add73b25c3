import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../http.js';

/**
 * Access tokens the simulated token endpoint and IAM Credentials issue. Opaque strings
 * (`ya29.` like Google's), remembered with who they stand for.
 */
export interface IssuedToken {
  readonly token: string;
  /** The service account whose credential minted the token. */
  readonly serviceAccount: string;
  /** The impersonated Workspace user (domain-wide delegation), or null for the service account itself. */
  readonly sub: string | null;
  readonly scopes: readonly string[];
  /** GCP project that consumes API calls made with the token (the service account's project). */
  readonly projectId: string;
  readonly expiresAtMs: number;
}

export interface TokenStore {
  issue(t: Omit<IssuedToken, 'token'>): IssuedToken;
  /** The live token presented as `Authorization: Bearer`, or null. */
  fromRequest(req: IncomingMessage, nowMs: number): IssuedToken | null;
  lookup(token: string, nowMs: number): IssuedToken | null;
}

export function tokenStore(): TokenStore {
  const tokens = new Map<string, IssuedToken>();
  function lookup(token: string, nowMs: number): IssuedToken | null {
    const t = tokens.get(token);
    if (!t) return null;
    if (t.expiresAtMs <= nowMs) {
      tokens.delete(token);
      return null;
    }
    return t;
  }
  return {
    issue(t) {
      const issued = { ...t, token: `ya29.${randomBytes(48).toString('base64url')}` };
      tokens.set(issued.token, issued);
      return issued;
    },
    fromRequest(req, nowMs) {
      const b = bearerToken(req);
      return b ? lookup(b, nowMs) : null;
    },
    lookup,
  };
}
