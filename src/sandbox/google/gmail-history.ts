import { sendJson } from '../http.js';
import type { ApiCall, ApiRoute } from './apis.js';
import { sendGoogleError } from './errors.js';
import type { Mailbox, StoredMessage } from './world.js';

/**
 * Gmail's mailbox history: `users.history.list` and `users.getProfile`.
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.history/list
 * https://developers.google.com/workspace/gmail/api/guides/sync
 *
 * Every change to a mailbox's messages becomes a history record with a growing id: a message
 * added or deleted, labels added or removed. Rather than asking each handler (import, insert,
 * modify, trash, drafts, batchModify, the admin API…) to remember to log, a mailbox's message
 * map is a `HistoryMap`: it logs `set` of a new message and `delete`, and the messages it holds
 * log their own `labelIds` changes. So every mutation path, present and future, is recorded.
 *
 * Gmail keeps history "for at least a week, often longer"; a `startHistoryId` it no longer has
 * answers 404, and the client must re-list the mailbox. The sandbox keeps the last
 * `MAX_RECORDS` records per mailbox, and `expireHistory` (admin API) or the fault
 * `gmail.history_expired` forgets them at once.
 */
export type HistoryType = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';
const HISTORY_TYPES: readonly HistoryType[] = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

interface HistoryRecord {
  readonly id: number;
  readonly type: HistoryType;
  readonly messageId: string;
  readonly threadId: string;
  /** The message's labels after the change. */
  readonly labelIds: readonly string[];
  /** labelAdded / labelRemoved: the labels that changed. */
  readonly changed: readonly string[];
}

interface HistoryLog {
  /** The mailbox's current history id (the last record's, or the start). */
  current: number;
  /** Records with an id at or below this are gone: a startHistoryId below it is expired. */
  floor: number;
  records: HistoryRecord[];
  /** message id → the id of the last record that touched it (the message's historyId). */
  lastOf: Map<string, number>;
}

export const MAX_RECORDS = 200_000;
/** Gmail's history ids are large numbers; start each mailbox somewhere in that range. */
const FIRST_ID = 1_000_000;

const logs = new WeakMap<Map<string, StoredMessage>, HistoryLog>();
const proxies = new WeakSet<object>();

function logOf(map: Map<string, StoredMessage>): HistoryLog {
  let l = logs.get(map);
  if (!l) logs.set(map, (l = { current: FIRST_ID, floor: 0, records: [], lastOf: new Map() }));
  return l;
}

function record(log: HistoryLog, type: HistoryType, m: StoredMessage, changed: readonly string[] = []): void {
  log.current += 1;
  log.records.push({ id: log.current, type, messageId: m.id, threadId: m.threadId, labelIds: [...m.labelIds], changed });
  log.lastOf.set(m.id, log.current);
  if (log.records.length > MAX_RECORDS) {
    const dropped = log.records.splice(0, log.records.length - Math.floor(MAX_RECORDS / 2));
    log.floor = dropped[dropped.length - 1]!.id;
  }
}

/** A mailbox's message map that writes Gmail's history as it changes (see the module comment). */
export class HistoryMap extends Map<string, StoredMessage> {
  override set(key: string, value: StoredMessage): this {
    // Map's constructor calls set before our fields exist; logs live outside the instance.
    const log = logOf(this);
    const known = super.get(key);
    const wrapped = proxies.has(value) ? value : watch(log, value);
    super.set(key, wrapped);
    if (known === undefined) record(log, 'messageAdded', wrapped);
    return this;
  }

  override delete(key: string): boolean {
    const m = super.get(key);
    const removed = super.delete(key);
    if (m) record(logOf(this), 'messageDeleted', m);
    return removed;
  }
}

/** The message as stored: label changes are logged, and historyId is the last record that touched it. */
function watch(log: HistoryLog, m: StoredMessage): StoredMessage {
  const p = new Proxy(m, {
    set(target, prop, value, receiver) {
      if (prop === 'labelIds' && Array.isArray(value)) {
        const before = new Set(target.labelIds);
        const after = new Set(value as string[]);
        const ok = Reflect.set(target, prop, value, receiver);
        const added = [...after].filter((l) => !before.has(l));
        const removed = [...before].filter((l) => !after.has(l));
        if (added.length) record(log, 'labelAdded', target, added);
        if (removed.length) record(log, 'labelRemoved', target, removed);
        return ok;
      }
      return Reflect.set(target, prop, value, receiver);
    },
    get(target, prop, receiver) {
      if (prop === 'historyId') {
        const last = log.lastOf.get(target.id);
        if (last !== undefined) return String(last);
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  proxies.add(p);
  return p;
}

/** The mailbox's current history id. */
export function currentHistoryId(mb: Mailbox): string {
  return String(logOf(mb.messages).current);
}

/** Forgets the mailbox's history so far (admin API): an older startHistoryId now answers 404. */
export function expireHistory(mb: Mailbox): string {
  const log = logOf(mb.messages);
  log.floor = log.current;
  log.records = [];
  return String(log.current);
}

/** The two routes; `read` are the scopes that may read history, `profile` those that may read the profile. */
export function historyRoutes(U: string, read: readonly string[], profile: readonly string[]): ApiRoute[] {
  return [
    { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/history$`), id: 'gmail.users.history.list', units: 2, scopes: read, handle: listHistory },
    { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/profile$`), id: 'gmail.users.getProfile', units: 1, scopes: profile, handle: getProfile },
  ];
}

function notFound(call: ApiCall): void {
  sendGoogleError(call.res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
}

function listHistory(call: ApiCall): void {
  const { url, res } = call;
  const mb = call.mailboxUser!.mailbox;
  const log = logOf(mb.messages);
  const startRaw = url.searchParams.get('startHistoryId');
  if (startRaw === null || startRaw === '') return sendGoogleError(res, 400, 'Missing startHistoryId', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  if (!/^\d+$/.test(startRaw)) return sendGoogleError(res, 400, `Invalid value at 'start_history_id' (TYPE_UINT64), "${startRaw}"`, { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  const start = Number(startRaw);
  // "A historyId is typically valid for at least a week … If you receive an HTTP 404 error
  // response, your application should perform a full sync." (guides/sync)
  if (start < log.floor || call.sim.fires('gmail.history_expired')) return notFound(call);
  const types = url.searchParams.getAll('historyTypes');
  for (const t of types) {
    if (!HISTORY_TYPES.includes(t as HistoryType)) return sendGoogleError(res, 400, `Invalid value at 'history_types' (type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryTypes), "${t}"`, { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  }
  const labelId = url.searchParams.get('labelId');
  if (labelId && !mb.labels.has(labelId)) return notFound(call);
  const max = Math.min(500, Math.max(1, Number(url.searchParams.get('maxResults') ?? 100) || 100));
  let offset = 0;
  const token = url.searchParams.get('pageToken');
  if (token) {
    offset = Number(token);
    if (!Number.isInteger(offset) || offset < 0) return sendGoogleError(res, 400, 'Invalid pageToken', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  }
  // Records after the start, in order; the page token is a position in this (stable) list.
  const all = log.records.filter(
    (r) => r.id > start && (types.length === 0 || types.includes(r.type)) && (!labelId || r.labelIds.includes(labelId) || r.changed.includes(labelId)),
  );
  const page = all.slice(offset, offset + max);
  const history = page.map((r) => {
    const message = { id: r.messageId, threadId: r.threadId, labelIds: [...r.labelIds] };
    const entry: Record<string, unknown> = { id: String(r.id), messages: [{ id: r.messageId, threadId: r.threadId }] };
    switch (r.type) {
      case 'messageAdded':
        entry['messagesAdded'] = [{ message }];
        break;
      case 'messageDeleted':
        entry['messagesDeleted'] = [{ message: { id: r.messageId, threadId: r.threadId } }];
        break;
      case 'labelAdded':
        entry['labelsAdded'] = [{ message, labelIds: [...r.changed] }];
        break;
      case 'labelRemoved':
        entry['labelsRemoved'] = [{ message, labelIds: [...r.changed] }];
        break;
    }
    return entry;
  });
  const body: Record<string, unknown> = {};
  if (history.length) body['history'] = history;
  if (offset + max < all.length) body['nextPageToken'] = String(offset + max);
  body['historyId'] = String(log.current);
  sendJson(res, 200, body);
}

function getProfile(call: ApiCall): void {
  const user = call.mailboxUser!;
  const msgs = [...user.mailbox.messages.values()];
  sendJson(call.res, 200, {
    emailAddress: user.primaryEmail,
    messagesTotal: msgs.length,
    threadsTotal: new Set(msgs.map((m) => m.threadId)).size,
    historyId: currentHistoryId(user.mailbox),
  });
}
