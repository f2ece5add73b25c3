/**
 * Who reviews an item (issue 13): the account's manager (the directory's manager attribute,
 * resolved through correlation to the manager's identity, then to a Syncwarden user by email),
 * the resource's owner (group owners the provider reports, or owners set in Syncwarden), or
 * named people — and a fallback. Nobody ever reviews their own access: a reviewer whose email
 * is one of the person's goes to the fallback; when the fallback is the person too, the item
 * has no reviewer (the preview lists it as unassigned).
 */
export interface ReviewerCandidates {
  /** The person's emails (every account of the identity, lower case): the self check. */
  readonly selfEmails: ReadonlySet<string>;
  /** Users resolved from the mode (manager, owners or named, in preference order). */
  readonly candidates: readonly { readonly userId: string; readonly email: string }[];
  readonly fallback: { readonly userId: string; readonly email: string } | null;
  /** Spreads items of named reviewers: a stable number per person. */
  readonly spread?: number;
}

export type ReviewerChoice =
  | { readonly userId: string; readonly via: 'mode' | 'fallback'; readonly why: string | null }
  | { readonly userId: null; readonly via: 'none'; readonly why: string };

export function chooseReviewer(c: ReviewerCandidates, noCandidateWhy: string): ReviewerChoice {
  const notSelf = c.candidates.filter((u) => !c.selfEmails.has(u.email.toLowerCase()));
  if (notSelf.length > 0) {
    const pick = notSelf[(c.spread ?? 0) % notSelf.length]!;
    return { userId: pick.userId, via: 'mode', why: null };
  }
  const why = c.candidates.length > 0 ? 'the only reviewer found is the person themself' : noCandidateWhy;
  if (c.fallback && !c.selfEmails.has(c.fallback.email.toLowerCase())) return { userId: c.fallback.userId, via: 'fallback', why };
  return { userId: null, via: 'none', why: c.fallback ? `${why}, and the fallback reviewer is the person themself` : `${why}, and there is no fallback reviewer` };
}

/** A small stable hash of a string (spreading a person's items onto one named reviewer). */
export function spreadOf(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}
