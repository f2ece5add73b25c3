import type { LinkAccount, LinkResult, MatchedBy } from './link.js';

/**
 * Groups of linked accounts → identities. Pure: ids of existing identities are reused so a
 * person keeps their id (and their review history) across recomputations; only a group that
 * inherits no id gets a new one from `newId`.
 */
export interface CorrelationAccount extends LinkAccount {
  readonly accountType: string; // user | guest | service
  readonly displayName: string;
  readonly enabled: boolean;
  readonly identityId: string | null;
  readonly firstSeenAt: string;
}

export interface IdentityDraft {
  readonly id: string;
  readonly isNew: boolean;
  readonly displayName: string;
  readonly email: string | null;
  readonly employeeId: string | null;
  readonly identityType: 'person' | 'guest' | 'service';
  readonly status: 'active' | 'disabled';
  readonly accounts: number;
  readonly connectionIds: string[];
  readonly search: string;
  /** Indexes of the group's accounts in the input. */
  readonly members: number[];
}

export interface Assembled {
  readonly identities: IdentityDraft[];
  /** Per input account: its identity id and how it was matched. */
  readonly assignments: { identityId: string; match: MatchedBy | null }[];
}

/**
 * `existingCreatedAt`: identity id → created_at of identities that exist now. The oldest of a
 * group's existing ids wins; when a group splits, the part holding most accounts of the old
 * identity keeps its id and the other part takes its next-oldest unclaimed id, or a new one.
 */
export function assembleIdentities(
  accounts: readonly CorrelationAccount[],
  link: LinkResult,
  existingCreatedAt: ReadonlyMap<string, string>,
  newId: () => string,
): Assembled {
  const age = (id: string) => existingCreatedAt.get(id) ?? '';
  const candidatesOf = (g: number[]) => {
    if (g.length === 1) {
      // The common case, without a map: one account, its identity if that still exists.
      const id = accounts[g[0]!]!.identityId;
      return id && existingCreatedAt.has(id) ? { ids: [id], held: new Map([[id, 1]]) } : { ids: [] as string[], held: new Map<string, number>() };
    }
    const held = new Map<string, number>();
    for (const i of g) {
      const id = accounts[i]!.identityId;
      if (id && existingCreatedAt.has(id)) held.set(id, (held.get(id) ?? 0) + 1);
    }
    const ids = [...held.keys()].sort((a, b) => (age(a) < age(b) ? -1 : age(a) > age(b) ? 1 : a < b ? -1 : a > b ? 1 : 0));
    return { ids, held };
  };
  const planned = link.groups.map((g) => ({ g, ...candidatesOf(g) }));
  // Groups with the strongest claim on their oldest id choose first.
  const order = planned
    .map((p, idx) => ({ p, idx, weight: p.ids.length ? p.held.get(p.ids[0]!)! : 0 }))
    .sort((a, b) => b.weight - a.weight || a.idx - b.idx);
  const claimed = new Set<string>();
  const ids: string[] = new Array<string>(planned.length);
  const fresh: boolean[] = new Array<boolean>(planned.length).fill(false);
  for (const { p, idx } of order) {
    const id = p.ids.find((x) => !claimed.has(x));
    if (id) {
      claimed.add(id);
      ids[idx] = id;
    } else {
      ids[idx] = newId();
      fresh[idx] = true;
    }
  }

  const assignments: Assembled['assignments'] = new Array(accounts.length);
  const identities = planned.map(({ g }, idx): IdentityDraft => {
    const id = ids[idx]!;
    for (const i of g) assignments[i] = { identityId: id, match: link.matches[i] ?? null };
    return { id, isNew: fresh[idx]!, members: g, ...describe(g.map((i) => accounts[i]!)) };
  });
  return { identities, assignments };
}

type Described = Omit<IdentityDraft, 'id' | 'isNew' | 'members'>;

/** Names come from the best account: enabled before disabled, members before guests, with email first, oldest first. */
export function describe(group: readonly CorrelationAccount[]): Described {
  const ranked = group.length === 1 ? [...group] : [...group].sort(
    (a, b) =>
      Number(b.enabled) - Number(a.enabled) ||
      typeRank(a.accountType) - typeRank(b.accountType) ||
      Number(!!b.email) - Number(!!a.email) ||
      cmp(a.firstSeenAt, b.firstSeenAt) ||
      cmp(a.connectionId, b.connectionId) ||
      cmp(a.externalId, b.externalId),
  );
  const best = ranked[0]!;
  const email = ranked.find((a) => a.email)?.email ?? (ranked.find((a) => a.userName.includes('@'))?.userName ?? null);
  const employeeId = ranked.find((a) => a.employeeId)?.employeeId ?? null;
  const types = new Set(group.map((a) => a.accountType));
  const identityType = types.has('user') ? 'person' : types.has('service') ? 'service' : types.has('guest') ? 'guest' : 'person';
  const words = new Set<string>();
  for (const a of group) for (const w of [a.displayName, a.email, a.userName, a.employeeId]) if (w) words.add(w.trim().toLowerCase());
  return {
    displayName: best.displayName || best.userName,
    email: email ? email.trim().toLowerCase() : null,
    employeeId,
    identityType,
    status: group.some((a) => a.enabled) ? 'active' : 'disabled',
    accounts: group.length,
    connectionIds: [...new Set(group.map((a) => a.connectionId))].sort(),
    search: [...words].join(' '),
  };
}

function typeRank(t: string): number {
  return t === 'user' ? 0 : t === 'service' ? 1 : 2;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
