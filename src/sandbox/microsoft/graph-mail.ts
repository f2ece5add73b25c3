import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, sendText } from '../http.js';
import type { SandboxContext } from '../types.js';
import { decodeToken, encodeToken, graphError } from './graph-common.js';
import { mimeSize, toMime, type Mailbox, type SimFolder, type SimMessage } from './mailbox.js';
import type { EntraUser, MicrosoftWorld } from './world.js';

/**
 * Graph mail (Outlook) under /users/{id}/mailFolders and /users/{id}/messages: folders,
 * per-folder message delta, MIME through /$value, with Outlook's per-app+mailbox throttling
 * (10,000 requests / 10 min, 4 concurrent). https://learn.microsoft.com/graph/throttling-limits
 */
export interface GraphQuotas {
  requestsPer10Min: number;
  concurrent: number;
  /** The window of requestsPer10Min, 10 minutes unless a benchmark scales time down (admin API). */
  windowMs?: number;
}

/** Mail request counters per world (benchmarks read them through the admin API). */
export interface GraphMailStats {
  requests: number;
  throttled: number;
  byMailbox: Record<string, number>;
}
const statsByWorld = new WeakMap<MicrosoftWorld, GraphMailStats>();

export function graphMailStats(world: MicrosoftWorld): GraphMailStats {
  let s = statsByWorld.get(world);
  if (!s) statsByWorld.set(world, (s = { requests: 0, throttled: 0, byMailbox: {} }));
  return s;
}

export function resetGraphMailStats(world: MicrosoftWorld): void {
  statsByWorld.set(world, { requests: 0, throttled: 0, byMailbox: {} });
}

interface DeltaState {
  f: string; // folder id
  s: string | null; // receivedDateTime ge filter (initial round)
  b: number; // changes after this seq (0 = initial round)
  q: number; // snapshot seq of this round
  o: number; // offset within the round
  n: number; // page size
  x?: boolean; // $expand of PidTagMessageSize, carried like Graph carries query options in its tokens
}

/**
 * A message's size is not a property of Graph's message resource: it is the MAPI property
 * PidTagMessageSize (0x0E08, PT_LONG), read as an extended property with
 * `$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')` and answered as
 * `"singleValueExtendedProperties":[{"id":"Integer 0xe08","value":"12345"}]` (the value is a
 * string). https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
 * https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagmessagesize-canonical-property
 * Any other $expand is refused as Graph refuses a navigation property it does not know.
 */
const SIZE_EXPAND = /^\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*id\s+eq\s+'Integer\s+0x0*e08'\s*\)\s*$/i;

/** true: the size is asked for; false: no $expand; a string: the 400 to answer. */
function expandOf(url: URL): boolean | string {
  const e = url.searchParams.get('$expand');
  if (e === null) return false;
  if (SIZE_EXPAND.test(e)) return true;
  return `Parsing OData Select and Expand failed: Could not find a property named '${e.split('(')[0]!.trim()}' on type 'microsoft.graph.message'.`;
}

/** What serves mail writes (graph-mail-write.ts); the reads stay here. */
export interface GraphMailWriter {
  handles(method: string, sub: string[], url: URL): boolean;
  handle(req: IncomingMessage, url: URL, res: ServerResponse, user: EntraUser, mb: Mailbox, sub: string[]): Promise<void>;
}

export function createGraphMail(ctx: SandboxContext, world: MicrosoftWorld, quotas: GraphQuotas, writer?: GraphMailWriter) {
  const windows = new Map<string, number[]>();
  const inflight = new Map<string, number>();
  const resetFolders = new Set<string>();
  const base = () => `${ctx.urls.graph}/v1.0`;

  /** Serves one mail request for `user`; `sub` is the path after /users/{id}/. Writes count against the same quota. */
  const serve = (req: IncomingMessage, url: URL, res: ServerResponse, user: EntraUser, sub: string[]): Promise<void> =>
    withMailboxQuota(user, res, () =>
      writer?.handles(req.method ?? 'GET', sub, url) ? writer.handle(req, url, res, user, world.mailbox(user), sub) : mail(url, res, user, world.mailbox(user), sub, String(req.headers.prefer ?? '')),
    );
  return Object.assign(serve, { withQuota: withMailboxQuota });

  async function withMailboxQuota(user: EntraUser, res: ServerResponse, fn: () => Promise<void> | void): Promise<void> {
    const key = `${world.app.appId}/${user.id}`;
    const now = ctx.now();
    const stats = graphMailStats(world);
    stats.requests += 1;
    stats.byMailbox[user.userPrincipalName] = (stats.byMailbox[user.userPrincipalName] ?? 0) + 1;
    const windowMs = quotas.windowMs ?? 600_000;
    const recent = (windows.get(key) ?? []).filter((t) => t > now - windowMs);
    windows.set(key, recent);
    if (recent.length >= quotas.requestsPer10Min) {
      stats.throttled += 1;
      const retry = Math.max(1, Math.ceil((recent[0]! + windowMs - now) / 1000));
      return graphError(res, 429, 'TooManyRequests', 'Please retry again later.', { 'retry-after': String(retry) });
    }
    const active = inflight.get(key) ?? 0;
    if (active >= quotas.concurrent) {
      stats.throttled += 1;
      return graphError(res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': '1' });
    }
    recent.push(now);
    inflight.set(key, active + 1);
    try {
      await fn();
    } finally {
      inflight.set(key, (inflight.get(key) ?? 1) - 1);
    }
  }

  function folderJson(mb: Mailbox, f: SimFolder): Record<string, unknown> {
    const msgs = mb.messagesIn(f.id);
    return {
      id: f.id, displayName: f.displayName, parentFolderId: f.parentFolderId,
      childFolderCount: mb.childFolders(f.id, true).length,
      unreadItemCount: msgs.filter((m) => !m.isRead).length, totalItemCount: msgs.length, sizeInBytes: msgs.reduce((s, m) => s + mimeSize(m), 0),
      isHidden: f.isHidden,
    };
  }

  function messageJson(m: SimMessage, select: string | null, withSize = false): Record<string, unknown> {
    const full: Record<string, unknown> = {
      '@odata.type': '#microsoft.graph.message',
      '@odata.etag': `W/"${m.seq}"`,
      id: m.id,
      createdDateTime: m.receivedDateTime, lastModifiedDateTime: m.receivedDateTime,
      receivedDateTime: m.receivedDateTime, sentDateTime: m.receivedDateTime,
      hasAttachments: m.attachment !== null || m.kind === 'encrypted',
      internetMessageId: m.internetMessageId,
      subject: m.subject, bodyPreview: m.body.slice(0, 255), importance: m.importance,
      parentFolderId: m.folderId, conversationId: `AAQk${m.id.slice(6, 30)}`,
      isDeliveryReceiptRequested: false, isReadReceiptRequested: false, isRead: m.isRead, isDraft: m.isDraft,
      webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.id)}`,
      inferenceClassification: 'focused',
      categories: m.categories,
      flag: { flagStatus: m.flagged ? 'flagged' : 'notFlagged' },
      from: { emailAddress: m.from }, sender: { emailAddress: m.from }, toRecipients: [{ emailAddress: m.to }],
    };
    if (m.kind === 'calendar') full['@odata.type'] = '#microsoft.graph.eventMessageRequest';
    // The size only as Graph keeps it: PidTagMessageSize, when expanded (see SIZE_EXPAND).
    const size = withSize ? { singleValueExtendedProperties: [{ id: 'Integer 0xe08', value: String(mimeSize(m)) }] } : {};
    if (!select) return { ...full, ...size };
    const fields = select.split(',').map((s) => s.trim());
    return { ...Object.fromEntries(Object.entries(full).filter(([k]) => k.startsWith('@odata') || k === 'id' || fields.includes(k))), ...size };
  }

  function mail(url: URL, res: ServerResponse, user: EntraUser, mb: Mailbox, sub: string[], prefer: string): void {
    const [kind, id, rest, ...more] = sub;
    if (kind === 'mailFolders') {
      const includeHidden = url.searchParams.get('includeHiddenFolders') === 'true';
      if (id === undefined) return pageOf(url, res, mb.childFolders(mb.rootId, includeHidden).map((f) => folderJson(mb, f)), `${base()}/users/${user.id}/mailFolders`, 10);
      const folder = mb.folder(id);
      if (!folder) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      if (rest === undefined) return sendJson(res, 200, folderJson(mb, folder));
      if (rest === 'childFolders') return pageOf(url, res, mb.childFolders(folder.id, includeHidden).map((f) => folderJson(mb, f)), `${base()}/users/${user.id}/mailFolders/${folder.id}/childFolders`, 10);
      if (rest === 'messages' && more[0] === 'delta') return delta(url, res, user, mb, folder, prefer);
      if (rest === 'messages' && more.length === 0) {
        const expand = expandOf(url);
        if (typeof expand === 'string') return graphError(res, 400, 'BadRequest', expand);
        const filter = url.searchParams.get('$filter');
        const since = filter ? /receivedDateTime\s+ge\s+(\S+)/i.exec(filter)?.[1] ?? null : null;
        if (filter && !since) return graphError(res, 400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
        const msgs = mb
          .messagesIn(folder.id)
          .filter((m) => !since || m.receivedDateTime >= since)
          .sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime) || a.id.localeCompare(b.id));
        return pageOf(url, res, msgs.map((m) => messageJson(m, url.searchParams.get('$select'), expand)), `${base()}/users/${user.id}/mailFolders/${folder.id}/messages`, 10, 1000);
      }
      if (rest === 'messages' && more.length >= 1) return message(url, res, mb, more[0]!, more[1]);
    }
    if (kind === 'messages' && id !== undefined) return message(url, res, mb, id, rest);
    graphError(res, 400, 'BadRequest', `Resource not found for the segment '${kind}'.`);
  }

  function message(url: URL, res: ServerResponse, mb: Mailbox, id: string, value: string | undefined): void {
    const m = mb.messages.get(id);
    if (!m) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (value === '$value') return sendText(res, 200, toMime(m), 'text/plain');
    if (value !== undefined) return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${value}'.`);
    const expand = expandOf(url);
    if (typeof expand === 'string') return graphError(res, 400, 'BadRequest', expand);
    sendJson(res, 200, messageJson(m, url.searchParams.get('$select'), expand));
  }

  /** $top / $skip paging with an opaque absolute nextLink. */
  function pageOf(url: URL, res: ServerResponse, items: Record<string, unknown>[], link: string, defaultTop: number, maxTop = 999): void {
    const top = Math.min(Number(url.searchParams.get('$top') ?? defaultTop) || defaultTop, maxTop);
    const skip = Number(url.searchParams.get('$skip') ?? 0) || 0;
    const body: Record<string, unknown> = { value: items.slice(skip, skip + top) };
    if (skip + top < items.length) {
      const next = new URL(link);
      for (const [k, v] of url.searchParams) if (k !== '$skip') next.searchParams.set(k, v);
      next.searchParams.set('$top', String(top));
      next.searchParams.set('$skip', String(skip + top));
      body['@odata.nextLink'] = next.toString();
    }
    sendJson(res, 200, body);
  }

  /**
   * Per-folder message delta (https://learn.microsoft.com/graph/delta-query-messages): the
   * first round returns the folder's messages (newest first, within `$filter=receivedDateTime
   * ge …`), later rounds the messages created or changed since, and deletions/moves out as
   * `@removed`. Tokens are opaque to clients.
   */
  function delta(url: URL, res: ServerResponse, user: EntraUser, mb: Mailbox, folder: SimFolder, prefer: string): void {
    const skip = decodeToken<DeltaState>(url.searchParams.get('$skiptoken'));
    const deltaTok = decodeToken<DeltaState>(url.searchParams.get('$deltatoken'));
    const link = `${base()}/users/${user.id}/mailFolders/${folder.id}/messages/delta`;
    if ((url.searchParams.has('$skiptoken') && !skip) || (url.searchParams.has('$deltatoken') && !deltaTok)) {
      return graphError(res, 400, 'SyncStateInvalid', 'The sync state is invalid.');
    }
    if ((skip || deltaTok) && ctx.faults.get(world.tenantId, 'graph.delta_expired') && !resetFolders.has(folder.id)) {
      resetFolders.add(folder.id);
      return graphError(res, 410, 'SyncStateNotFound', 'The sync state generation is not found.', { location: link });
    }
    let state: DeltaState;
    if (skip) state = skip;
    else if (deltaTok) state = { ...deltaTok, b: deltaTok.q, q: mb.seq, o: 0 };
    else {
      const filter = url.searchParams.get('$filter');
      const since = filter ? /receivedDateTime\s+ge\s+(\S+)/i.exec(filter)?.[1] ?? null : null;
      if (filter && !since) return graphError(res, 400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
      const expand = expandOf(url);
      if (typeof expand === 'string') return graphError(res, 400, 'BadRequest', expand);
      const pageSize = /odata\.maxpagesize=(\d+)/.exec(prefer)?.[1];
      state = { f: folder.id, s: since, b: 0, q: mb.seq, o: 0, n: Math.min(Number(pageSize ?? url.searchParams.get('$top') ?? 10) || 10, 1000), ...(expand ? { x: true } : {}) };
    }
    const withSize = state.x === true;
    const select = url.searchParams.get('$select');
    let entries: Record<string, unknown>[];
    if (state.b === 0) {
      entries = mb
        .messagesIn(folder.id)
        .filter((m) => m.seq <= state.q && (!state.s || m.receivedDateTime >= state.s))
        .sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime) || a.id.localeCompare(b.id))
        .map((m) => messageJson(m, select, withSize));
    } else {
      const changed = mb.messagesIn(folder.id).filter((m) => m.seq > state.b && m.seq <= state.q).map((m) => ({ seq: m.seq, json: messageJson(m, select, withSize) }));
      const removed = mb.tombstones
        .filter((t) => t.folderId === folder.id && t.seq > state.b && t.seq <= state.q && mb.messages.get(t.id)?.folderId !== folder.id)
        .map((t) => ({ seq: t.seq, json: { '@odata.type': '#microsoft.graph.message', id: t.id, '@removed': { reason: 'deleted' } } as Record<string, unknown> }));
      entries = [...changed, ...removed].sort((a, b) => a.seq - b.seq).map((e) => e.json);
    }
    const page = entries.slice(state.o, state.o + state.n);
    const body: Record<string, unknown> = { '@odata.context': `${base()}/$metadata#Collection(message)`, value: page };
    if (state.o + state.n < entries.length) body['@odata.nextLink'] = `${link}?$skiptoken=${encodeToken({ ...state, o: state.o + state.n })}`;
    else body['@odata.deltaLink'] = `${link}?$deltatoken=${encodeToken({ ...state, o: 0 })}`;
    // Ids are stable across moves in the sandbox, which is what IdType="ImmutableId" asks for.
    const immutable = /IdType="ImmutableId"/i.test(prefer);
    sendJson(res, 200, body, { 'preference-applied': `odata.maxpagesize=${state.n}${immutable ? ', IdType="ImmutableId"' : ''}` });
  }

}
