/**
 * The recommendation shown with each item, with its reasons as sentences (issue 13): no
 * sign-in for 30+ days, account disabled at the source, key unused for 90+ days, a guest,
 * access that few peers in the same department hold. A pure function of the snapshot's facts.
 */
export interface RecommendationFacts {
  readonly enabled: boolean;
  readonly guest: boolean;
  /** Last sign-in (accounts) when the provider gives it. */
  readonly lastSignInAt: string | null;
  /** Access keys: the key's last use (null: never used or unknown) and its creation. */
  readonly keyLastUsedAt?: string | null;
  readonly keyCreatedAt?: string | null;
  readonly isKey?: boolean;
  /** Peers: people in the account's department, and how many of them hold this access. */
  readonly department: string | null;
  readonly departmentSize: number;
  readonly departmentHolders: number;
}

export interface Recommendation {
  decision: 'approve' | 'revoke';
  reasons: string[];
}

export const INACTIVE_DAYS = 30;
export const KEY_UNUSED_DAYS = 90;
/** A department this small says nothing about peers. */
export const MIN_PEERS = 5;
/** Few peers: under this share of the department holds the access. */
export const FEW_PEERS_SHARE = 0.1;

const DAY = 86_400_000;

/**
 * The reasons that depend on the account (or key) alone, apart from peers: `risk` sentences
 * make the recommendation revoke, `ok` sentences explain an approve. The snapshot computes these
 * once per account and leaves the peer sentence (which needs every holder) to SQL.
 */
export function ownReasons(f: Omit<RecommendationFacts, 'department' | 'departmentSize' | 'departmentHolders'>, nowMs: number): { risk: string[]; ok: string[] } {
  const risk: string[] = [];
  if (!f.enabled) risk.push('The account is disabled at the source.');
  if (f.lastSignInAt) {
    const days = Math.floor((nowMs - Date.parse(f.lastSignInAt)) / DAY);
    if (days >= INACTIVE_DAYS) risk.push(`No sign-in for ${days} days.`);
  }
  if (f.isKey) {
    const last = f.keyLastUsedAt ?? null;
    if (last) {
      const days = Math.floor((nowMs - Date.parse(last)) / DAY);
      if (days >= KEY_UNUSED_DAYS) risk.push(`The access key has not been used for ${days} days.`);
    } else if (f.keyCreatedAt && nowMs - Date.parse(f.keyCreatedAt) >= KEY_UNUSED_DAYS * DAY) {
      risk.push(`The access key has never been used since it was created ${Math.floor((nowMs - Date.parse(f.keyCreatedAt)) / DAY)} days ago.`);
    }
  }
  if (f.guest) risk.push('A guest account, invited from outside the organisation.');
  return { risk, ok: f.lastSignInAt ? ['Signed in within the last 30 days.'] : [] };
}

/** Peers' sentences, one source for recommend() and the snapshot's SQL (which fills the blanks per row). */
export const peerSentence = {
  few: (holders: string, size: string, department: string): string => `Few peers hold this access: ${holders} of ${size} people in ${department}.`,
  held: (holders: string, size: string, department: string): string => `Held by ${holders} of ${size} people in ${department}.`,
};
export const NO_RISK_SENTENCE = 'No risk signal: the account is enabled and nothing suggests the access is unused.';

/** Peers say something: a department of at least MIN_PEERS people. */
export function peersCount(f: Pick<RecommendationFacts, 'department' | 'departmentSize'>): boolean {
  return Boolean(f.department) && f.departmentSize >= MIN_PEERS;
}

/** Few peers: under FEW_PEERS_SHARE of the department (holders × 10 < size is the same test in integers). */
export function fewPeers(f: Pick<RecommendationFacts, 'department' | 'departmentSize' | 'departmentHolders'>): boolean {
  return peersCount(f) && f.departmentHolders / f.departmentSize < FEW_PEERS_SHARE;
}

export function recommend(f: RecommendationFacts, nowMs: number): Recommendation {
  const { risk, ok } = ownReasons(f, nowMs);
  const [h, s, d] = [String(f.departmentHolders), String(f.departmentSize), f.department ?? ''];
  if (fewPeers(f)) risk.push(peerSentence.few(h, s, d));
  if (risk.length > 0) return { decision: 'revoke', reasons: risk };
  const why = [...ok];
  if (peersCount(f)) why.push(peerSentence.held(h, s, d));
  if (why.length === 0) why.push(NO_RISK_SENTENCE);
  return { decision: 'approve', reasons: why };
}
