/**
 * Group membership walked upward: an account's direct groups, then the groups those groups
 * belong to, and so on. Providers allow cycles (Google and SCIM do; Entra refuses them, a
 * sync may still see one mid-change), so every group is visited once, by its shortest path.
 */
export interface GroupEdge {
  readonly groupId: string;
  readonly memberId: string;
  readonly role: string | null;
}

export interface ReachedGroup {
  readonly groupId: string;
  readonly via: 'direct' | 'nested';
  /** Group ids from the account's direct group outward, ending with this group. */
  readonly path: string[];
  /** The account's role in its direct group (owner, manager, …), for direct memberships. */
  readonly role: string | null;
}

/** `parentsOf(id)` answers the memberships whose member is `id` (a group or the account). */
export function walkGroups(accountId: string, parentsOf: (memberId: string) => readonly GroupEdge[]): ReachedGroup[] {
  const out: ReachedGroup[] = [];
  const seen = new Set<string>();
  let frontier: { id: string; path: string[] }[] = [];
  for (const e of parentsOf(accountId)) {
    if (seen.has(e.groupId)) continue;
    seen.add(e.groupId);
    out.push({ groupId: e.groupId, via: 'direct', path: [e.groupId], role: e.role });
    frontier.push({ id: e.groupId, path: [e.groupId] });
  }
  // Breadth first, so a group reached both ways is reported by its shortest path.
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const f of frontier) {
      for (const e of parentsOf(f.id)) {
        if (seen.has(e.groupId)) continue;
        seen.add(e.groupId);
        const path = [...f.path, e.groupId];
        out.push({ groupId: e.groupId, via: 'nested', path, role: null });
        next.push({ id: e.groupId, path });
      }
    }
    frontier = next;
  }
  return out;
}
