/**
 * Domain-wide delegation as a customer's Admin console holds it: per OAuth client id, the
 * exact scope strings authorised (Security > API controls > Domain-wide delegation,
 * https://support.google.com/a/answer/162106). A change does not reach every Google
 * front end at once — Google says it "can take up to 24 hours", in practice token requests
 * flip between the old and the new answer for minutes. The simulator reproduces that: for
 * `propagationMs` after a change, token requests that include the scope alternate between
 * the old answer and the new one, starting with the old. That lets a doctor tell "still
 * propagating" (mixed answers over a few quick tries) from "missing" (refused every time).
 */
export interface ScopeGrant {
  granted: boolean;
  /** What token requests answered before the last change. */
  wasGranted: boolean;
  changedAtMs: number;
  propagationMs: number;
  /** Requests seen while propagating (drives the alternation). */
  attempts: number;
}

export type Delegation = Map<string, Map<string, ScopeGrant>>;

/** The default time a change takes to settle; POST {admin}/google/delegation/propagation sets it. */
export const DEFAULT_PROPAGATION_MS = 60_000;

export function authorise(d: Delegation, clientId: string, scopes: readonly string[], nowMs: number, propagationMs: number): void {
  let m = d.get(clientId);
  if (!m) d.set(clientId, (m = new Map()));
  for (const s of scopes) {
    const g = m.get(s);
    if (g?.granted) continue;
    m.set(s, { granted: true, wasGranted: g ? settled(g, nowMs) : false, changedAtMs: nowMs, propagationMs, attempts: 0 });
  }
}

export function revoke(d: Delegation, clientId: string, scopes: readonly string[] | undefined, nowMs: number, propagationMs: number): void {
  const m = d.get(clientId);
  if (!m) return;
  for (const [s, g] of m) {
    if (scopes && !scopes.includes(s)) continue;
    if (!g.granted) continue;
    m.set(s, { granted: false, wasGranted: settled(g, nowMs), changedAtMs: nowMs, propagationMs, attempts: 0 });
  }
}

/** The answer once propagation is over (what the Admin console shows). */
function settled(g: ScopeGrant, nowMs: number): boolean {
  return nowMs >= g.changedAtMs + g.propagationMs ? g.granted : g.wasGranted;
}

export function isPropagating(g: ScopeGrant, nowMs: number): boolean {
  return nowMs < g.changedAtMs + g.propagationMs && g.granted !== g.wasGranted;
}

/** What one token request sees for the scope (each call counts as one request). */
export function answer(g: ScopeGrant | undefined, nowMs: number): boolean {
  if (!g) return false;
  if (!isPropagating(g, nowMs)) return g.granted;
  const n = g.attempts++;
  return n % 2 === 0 ? g.wasGranted : g.granted;
}

/** The scopes the Admin console lists for the client (the new state, propagated or not). */
export function listed(d: Delegation, clientId: string, nowMs: number): { scope: string; propagating: boolean }[] {
  return [...(d.get(clientId) ?? new Map<string, ScopeGrant>()).entries()]
    .filter(([, g]) => g.granted)
    .map(([scope, g]) => ({ scope, propagating: isPropagating(g, nowMs) }));
}
