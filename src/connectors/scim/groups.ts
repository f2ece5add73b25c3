import type { DirectoryGroup, DirectoryMembership, DirectoryRecord, Page } from '../sdk/index.js';
import { decodeGroupsCursor, encodeGroupsCursor, type GroupsCursor } from './cursor.js';
import { checkIndexPage } from '../sdk/index.js';
import { badResponse, failure, parseBody, PROVIDER, scimCall, type ScimDeps } from './http.js';
import { listResponse, scimGroup, scimGroupMembers, type ScimGroup, type ScimMember } from './wire.js';

/**
 * The groups stream: GET /Groups page by page → groups and their direct memberships.
 *
 * Members come inline, but RFC 7644 gives `members` no paging, and servers differ: some
 * leave members out of list responses (IAM Identity Center did), some cut them at a fixed
 * number (github.com/FusionAuth/fusionauth-issues/issues/2784: 100). Neither is flagged in
 * the response, so:
 * - a group listed without `members` is read again with GET /Groups/{id};
 * - a group whose inline count is larger than any count confirmed complete so far in this
 *   pass is read again too; if the full read has more members, the server truncates at that
 *   count, and from then on every group listed with at least that many is read again.
 * The cursor carries what was learnt, so the cost is a handful of extra reads per pass on a
 * server that does not truncate.
 */
export async function readGroups(deps: ScimDeps, cursor: string | null): Promise<Page<DirectoryRecord>> {
  let state: GroupsCursor = decodeGroupsCursor(cursor);
  const start = state.start;
  const res = await scimCall(deps, 'GET', '/Groups', { query: { startIndex: start, count: deps.config.pageSize } });
  if (res.status !== 200) throw failure(deps, res, 'groups', 'GET /Groups');
  const list = parseBody(deps, res, listResponse, 'GET /Groups');
  checkIndexPage(PROVIDER, `GET /Groups?startIndex=${start}&count=${deps.config.pageSize}`, { askedStart: start, answeredStart: list.startIndex, received: list.resources.length, totalResults: list.totalResults });
  const items: DirectoryRecord[] = [];
  for (const [i, raw] of list.resources.entries()) {
    const r = scimGroup.safeParse(raw);
    if (!r.success) throw badResponse(`GET /Groups answered a group without ${r.error.issues[0]?.path.join('.') || 'a valid shape'} (item ${start + i})`);
    const g = r.data;
    let members: readonly ScimMember[] | null | undefined = g.members;
    const inline = members?.length ?? 0;
    const suspect = members == null || (inline > 0 && (state.cap !== null ? inline >= state.cap : inline > state.complete));
    if (suspect) {
      const full = await readMembers(deps, g.id);
      // Deleted between the list and the read: it is gone, leave it out.
      if (full === 'gone') continue;
      if (members != null) {
        state = full.length > inline ? { ...state, cap: Math.min(state.cap ?? inline, inline) } : { ...state, complete: Math.max(state.complete, inline) };
      }
      members = full;
    }
    items.push(toGroup(g));
    for (const m of members ?? []) items.push(toMembership(g.id, m));
  }
  const nextStart = start + list.resources.length;
  const next = list.resources.length > 0 && nextStart <= list.totalResults ? encodeGroupsCursor({ ...state, start: nextStart }) : null;
  return { items, next, deltaCursor: null };
}

/** GET /Groups/{id}?attributes=members; 'gone' on 404. */
export async function readMembers(deps: ScimDeps, groupId: string): Promise<readonly ScimMember[] | 'gone'> {
  const where = 'GET /Groups/{id}';
  const res = await scimCall(deps, 'GET', `/Groups/${encodeURIComponent(groupId)}`, { query: { attributes: 'members' } });
  if (res.status === 404) return 'gone';
  if (res.status !== 200) throw failure(deps, res, 'groups', where);
  return parseBody(deps, res, scimGroupMembers, where).members ?? [];
}

function toGroup(g: ScimGroup): DirectoryGroup {
  return {
    type: 'group',
    externalId: g.id,
    displayName: g.displayName ?? g.id,
    email: null,
    description: null,
    attributes: { clientExternalId: g.externalId, lastModified: g.meta?.lastModified ?? null },
  };
}

/** A member is a group when its `type` says so, or its `$ref` points at /Groups/. */
export function isGroupMember(m: ScimMember): boolean {
  if (m.type) return m.type.toLowerCase() === 'group';
  return m.$ref !== null && /\/Groups\/[^/]+\/?$/i.test(m.$ref);
}

function toMembership(groupId: string, m: ScimMember): DirectoryMembership {
  return { type: 'membership', groupId, memberId: m.value, memberType: isGroupMember(m) ? 'group' : 'account', role: null };
}
