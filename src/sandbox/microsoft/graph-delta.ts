import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.js';
import type { SandboxContext } from '../types.js';
import { logStart, type MemberRef, type RemovedReason } from './directory-model.js';
import { decodeToken, encodeToken, graphError } from './graph-common.js';
import { groupJson, parseSelect, userFaults, userJson } from './graph-objects.js';
import type { EntraTenant } from './world.js';

/**
 * `GET /users/delta` and `GET /groups/delta` (providers.md §2.2): a full round pages with
 * `@odata.nextLink` (`$skiptoken`) and ends with an `@odata.deltaLink` (`$deltatoken`); a
 * round from a deltaLink returns only what changed since — upserts, `{"id", "@removed":
 * {"reason": "changed"|"deleted"}}` for deletions, and for groups tracked with
 * `$select=…,members` the membership changes in `members@delta` (added members plain, removed
 * ones with `@removed`). A group whose members do not fit the page is repeated on the next
 * page with the next slice. `$deltaToken=latest` returns only a deltaLink. Query parameters
 * count on the first call only; they travel inside the tokens.
 *
 * Expiry: a token older than 7 days (sandbox time) answers 400 `syncStateNotFound`, as Graph
 * does since delta links for identity resources live 7 days
 * (https://devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-for-identity-and-education-resources/);
 * the fault `graph.directory_delta_expired` answers the other documented reset, 410 Gone with
 * a `Location` to start over (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset).
 * Page size: `Prefer: odata.maxpagesize=N` (1–999, default 100), echoed in Preference-Applied.
 */
const TOKEN_LIFETIME_MS = 7 * 86_400_000;

export interface DeltaSettings {
  /** Most members one group entry carries before the group repeats on the next page. */
  memberSlice: number;
}

interface DeltaState {
  v: 1;
  k: 'u' | 'g';
  t: string; // tenant id
  s: string | null; // $select
  b: number; // -1: full round; else changes after this seq
  q: number; // snapshot seq of the round
  o: number; // index (full) or position in the change list (incremental)
  m: number; // member offset within the current group entry (incremental rounds)
  /**
   * Full rounds: id of the last member sent of the current group entry. Members are sent in id
   * order and the next page resumes after that id, so a member removed between two pages does
   * not shift an unchanged one out of the round (as an offset into the live list would).
   */
  a?: string | undefined;
  n: number; // page size
  ts: number; // when the round's token was issued (sandbox ms)
}

export const deltaSettings: DeltaSettings = { memberSlice: 500 };

export function createGraphDelta(ctx: SandboxContext) {
  const base = () => `${ctx.urls.graph}/v1.0`;

  function start(url: URL, res: ServerResponse, tenant: EntraTenant, kind: 'u' | 'g', headers: Record<string, string>, prefer: string): DeltaState | null {
    const link = `${base()}/${kind === 'u' ? 'users' : 'groups'}/delta`;
    const skip = url.searchParams.get('$skiptoken');
    const dtoken = url.searchParams.get('$deltatoken') ?? url.searchParams.get('$deltaToken');
    const pref = /odata\.maxpagesize=(\d+)/.exec(prefer)?.[1];
    const n = Math.min(999, Math.max(1, Number(pref ?? 100) || 100));
    const expired = () => {
      graphError(res, 400, 'syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.', headers);
      return null;
    };
    if (skip !== null || (dtoken !== null && dtoken !== 'latest')) {
      const st = decodeToken<DeltaState>(skip ?? dtoken);
      if (!st || st.v !== 1 || st.k !== kind || st.t !== tenant.tenantId) return expired();
      if (ctx.faults.fires(tenant.tenantId, 'graph.directory_delta_expired')) {
        const fresh = st.s ? `${link}?$select=${st.s}` : link;
        graphError(res, 410, 'resyncRequired', 'Resync required. Replace any local cached data with the data in the response and start over with the location header.', { ...headers, location: fresh });
        return null;
      }
      if (ctx.now() - st.ts > TOKEN_LIFETIME_MS) return expired();
      // A deltaLink opens a new incremental round: changes after its seq, up to now.
      if (skip === null) return { ...st, b: st.q, q: tenant.directory.seq, o: 0, m: 0, a: undefined, n, ts: ctx.now() };
      return st;
    }
    // Delta takes $filter only as `id eq '…'`, and neither $orderby nor $search (providers.md
    // §2.2); the sandbox serves none of them, and answers 400 rather than ignore them.
    for (const option of ['$filter', '$orderby', '$search']) {
      if (url.searchParams.has(option)) {
        graphError(res, 400, 'Request_UnsupportedQuery', `Unsupported query option '${option}' for delta of resource '${kind === 'u' ? 'User' : 'Group'}'.`, headers);
        return null;
      }
    }
    const select = url.searchParams.get('$select');
    // Navigation properties delta tracks through $select: a group's members, a user's manager.
    parseSelect(select?.split(',').filter((f) => f.trim() !== (kind === 'u' ? 'manager' : 'members')).join(',') || null, kind === 'u' ? 'user' : 'group');
    const st: DeltaState = { v: 1, k: kind, t: tenant.tenantId, s: select, b: -1, q: tenant.directory.seq, o: 0, m: 0, n, ts: ctx.now() };
    if (dtoken === 'latest') {
      finish(res, link, kind, st, [], null, headers);
      return null;
    }
    return st;
  }

  function finish(res: ServerResponse, link: string, kind: 'u' | 'g', st: DeltaState, value: unknown[], next: DeltaState | null, headers: Record<string, string>): void {
    const body: Record<string, unknown> = { '@odata.context': `${base()}/$metadata#${kind === 'u' ? 'users' : 'groups'}${st.s ? `(${st.s})` : ''}` };
    // graph.repeat_next_link: the page points at the state it was served from, so from the
    // second page on the same $skiptoken comes back for ever.
    if (next) body['@odata.nextLink'] = `${link}?$skiptoken=${encodeToken(ctx.faults.get(st.t, 'graph.repeat_next_link') && st.o > 0 ? st : next)}`;
    else body['@odata.deltaLink'] = `${link}?$deltatoken=${encodeToken({ ...st, o: 0, m: 0, a: undefined } satisfies DeltaState)}`;
    body['value'] = value;
    sendJson(res, 200, body, { ...headers, 'preference-applied': `odata.maxpagesize=${st.n}` });
  }

  const removed = (id: string, reason: RemovedReason) => ({ id, '@removed': { reason } });

  function users(url: URL, res: ServerResponse, tenant: EntraTenant, headers: Record<string, string>, prefer: string): void {
    const st = start(url, res, tenant, 'u', headers, prefer);
    if (!st) return;
    const dir = tenant.directory;
    const faults = userFaults(ctx, tenant.tenantId);
    const selected = st.s ? st.s.split(',').map((f) => f.trim()) : null;
    const withManager = selected?.includes('manager') ?? false;
    const fields = selected ? selected.filter((f) => f !== 'manager') : null;
    const link = `${base()}/users/delta`;
    const value: Record<string, unknown>[] = [];
    const emit = (i: number, u = dir.userAt(i)) => {
      const reason = dir.userDeletedReason(i);
      if (reason || !u) value.push(removed(dir.userIdAt(i), reason ?? 'deleted'));
      else if (faults.hidden(u)) value.push(removed(u.id, 'changed'));
      else {
        const json = userJson(faults.apply(u), fields);
        // `manager@delta` (Graph's shape for a navigation property in delta, like
        // `members@delta`): the manager as a directoryObject reference; a manager taken away
        // since the token comes back with `@removed`. No manager, nothing to report: absent.
        // A later round reports it only when it changed since the token: a user returned for
        // another change (a new job title) carries no `manager@delta` at all.
        const managerChanged = st.b < 0 || (u.managerSeq ?? 0) > st.b;
        if (withManager && managerChanged && u.managerId) json['manager@delta'] = [{ '@odata.type': '#microsoft.graph.user', id: u.managerId }];
        else if (withManager && managerChanged && st.b >= 0 && u.formerManagerId) json['manager@delta'] = [{ '@odata.type': '#microsoft.graph.user', id: u.formerManagerId, '@removed': { reason: 'deleted' } }];
        value.push(json);
      }
    };
    if (st.b < 0) {
      let i = st.o;
      for (; i < dir.userTotal && value.length < st.n; i++) {
        const u = dir.userAt(i);
        if (u) emit(i, u);
      }
      return finish(res, link, 'u', st, value, i < dir.userTotal ? { ...st, o: i } : null, headers);
    }
    const changed = changedIndices(dir.userLog, st.b, st.q);
    let p = st.o;
    for (; p < changed.length && value.length < st.n; p++) emit(changed[p]!);
    finish(res, link, 'u', st, value, p < changed.length ? { ...st, o: p } : null, headers);
  }

  function groups(url: URL, res: ServerResponse, tenant: EntraTenant, headers: Record<string, string>, prefer: string): void {
    const st = start(url, res, tenant, 'g', headers, prefer);
    if (!st) return;
    const dir = tenant.directory;
    const all = st.s ? st.s.split(',').map((f) => f.trim()) : null;
    const withMembers = all === null || all.includes('members');
    const fields = all?.filter((f) => f !== 'members') ?? null;
    const link = `${base()}/groups/delta`;
    const value: Record<string, unknown>[] = [];
    let budget = st.n;
    const memberJson = (m: MemberRef, op: 'add' | 'remove') =>
      op === 'add' ? { '@odata.type': `#microsoft.graph.${m.kind}`, id: m.id } : { '@odata.type': `#microsoft.graph.${m.kind}`, id: m.id, '@removed': { reason: 'deleted' } };

    /** Emits one group entry with members[from..]; returns the next member offset or -1 when done. */
    const entry = (j: number, members: { ref: MemberRef; op: 'add' | 'remove' }[] | null, from: number): number => {
      const g = dir.groupAt(j);
      const reason = dir.groupDeletedReason(j);
      if (!g) {
        value.push(removed(dir.groupIdAt(j), reason ?? 'deleted'));
        budget -= 1;
        return -1;
      }
      const obj = groupJson(g, fields);
      budget -= 1;
      if (!withMembers || !members) {
        value.push(obj);
        return -1;
      }
      const take = Math.max(0, Math.min(budget, deltaSettings.memberSlice, members.length - from));
      obj['members@delta'] = members.slice(from, from + take).map((x) => memberJson(x.ref, x.op));
      value.push(obj);
      budget -= take;
      return from + take < members.length ? from + take : -1;
    };

    if (st.b < 0) {
      let j = st.o;
      let after = st.a;
      while (j < dir.groupTotal && budget > 1) {
        if (!dir.groupAt(j)) {
          j += 1;
          after = undefined;
          continue;
        }
        const members = withMembers ? [...dir.members(j)].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).map((ref) => ({ ref, op: 'add' as const })) : null;
        const from = members && after !== undefined ? members.findIndex((x) => x.ref.id > after!) : 0;
        const next = entry(j, members, from < 0 ? (members?.length ?? 0) : from);
        if (next >= 0) {
          after = members![next - 1]!.ref.id;
          break;
        }
        j += 1;
        after = undefined;
      }
      return finish(res, link, 'g', st, value, j < dir.groupTotal ? { ...st, o: j, m: 0, a: after } : null, headers);
    }
    const changes = groupChanges(tenant, st.b, st.q, withMembers);
    let p = st.o;
    let m = st.m;
    while (p < changes.length && budget > 1) {
      const c = changes[p]!;
      const next = entry(c.group, withMembers ? c.members : null, m);
      if (next >= 0) {
        m = next;
        break;
      }
      p += 1;
      m = 0;
    }
    finish(res, link, 'g', st, value, p < changes.length ? { ...st, o: p, m } : null, headers);
  }

  return { users, groups };
}

/** Indices changed in (after, upTo], each once, in order of their last change. */
function changedIndices(log: readonly { seq: number; index: number }[], after: number, upTo: number): number[] {
  const last = new Map<number, number>();
  for (let k = logStart(log, after); k < log.length && log[k]!.seq <= upTo; k++) last.set(log[k]!.index, log[k]!.seq);
  return [...last.entries()].sort((a, b) => a[1] - b[1]).map(([i]) => i);
}

interface GroupChangeEntry {
  group: number;
  first: number;
  members: { ref: MemberRef; op: 'add' | 'remove' }[];
}

/** Groups changed in (after, upTo]: property changes and net membership changes per group. */
function groupChanges(tenant: EntraTenant, after: number, upTo: number, withMembers: boolean): GroupChangeEntry[] {
  const dir = tenant.directory;
  const byGroup = new Map<number, { first: number; members: Map<string, { ref: MemberRef; op: 'add' | 'remove' }> }>();
  const touch = (j: number, seq: number) => {
    let e = byGroup.get(j);
    if (!e) {
      e = { first: seq, members: new Map() };
      byGroup.set(j, e);
    }
    return e;
  };
  for (let k = logStart(dir.groupLog, after); k < dir.groupLog.length && dir.groupLog[k]!.seq <= upTo; k++) touch(dir.groupLog[k]!.index, dir.groupLog[k]!.seq);
  if (withMembers) {
    const log = dir.membershipLog;
    for (let k = logStart(log, after); k < log.length && log[k]!.seq <= upTo; k++) {
      const c = log[k]!;
      // A member deleted since is reported as removed, never added: Entra drops a deleted
      // object's memberships, and a full read would not list it either.
      touch(c.group, c.seq).members.set(c.member.id, { ref: c.member, op: c.op === 'add' && !dir.refAlive(c.member) ? 'remove' : c.op });
    }
  }
  return [...byGroup.entries()]
    .sort((a, b) => a[1].first - b[1].first)
    .map(([group, e]) => ({ group, first: e.first, members: [...e.members.values()] }));
}
