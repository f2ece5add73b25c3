import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { MailboxChangeReader, MailboxMessage } from '../sdk/index.js';
import type { GoogleDeps } from './deps.js';
import { badResponse, describe, parseGoogleError } from './errors.js';
import { call, gmailError, listLabels, UNITS, users } from './gmail.js';

/**
 * A Gmail mailbox read as a change history, for reverse recovery: the mailbox's historyId
 * (users.getProfile), the messages added after one (users.history.list, historyTypes
 * messageAdded), the messages dated after a time (messages.list `after:`) for when that
 * history has expired, and one message as raw MIME with its labels.
 * https://developers.google.com/workspace/gmail/api/guides/sync
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.history/list
 *
 * Gmail answers 404 to a startHistoryId it no longer keeps ("typically valid for at least a
 * week"): that is `recovery.history_expired`, and the caller lists by date instead.
 */
const HISTORY_UNITS = 2;
const PROFILE_UNITS = 1;
/** Persisted cursors carry a format version. */
const V = 'v1:';

const profile = z.object({ historyId: z.union([z.string(), z.number()]).transform(String) });
const historyPage = z.object({
  history: z.array(z.object({ messagesAdded: z.array(z.object({ message: z.object({ id: z.string() }) })).optional() })).optional(),
  nextPageToken: z.string().optional(),
  historyId: z.union([z.string(), z.number()]).optional(),
});
const listPage = z.object({ messages: z.array(z.object({ id: z.string() })).optional(), nextPageToken: z.string().optional() });
const rawMessage = z.object({ id: z.string(), labelIds: z.array(z.string()).optional(), internalDate: z.string().regex(/^\d+$/).optional(), raw: z.string() });

export function createGmailChangeReader(deps: GoogleDeps): MailboxChangeReader {
  const labelNames = new Map<string, { at: number; names: Map<string, string> }>();

  async function namesOf(email: string, missing?: string): Promise<Map<string, string>> {
    const hit = labelNames.get(email);
    // Labels change rarely; read them again when a message carries one we have not seen.
    if (hit && (!missing || hit.names.has(missing)) && Date.now() - hit.at < 600_000) return hit.names;
    const names = new Map((await listLabels(deps, email)).filter((l) => l.type === 'user').map((l) => [l.id, l.name] as const));
    labelNames.set(email, { at: Date.now(), names });
    return names;
  }

  function cursorOf(cursor: string | null): string | null {
    if (cursor === null) return null;
    if (!cursor.startsWith(V)) throw new AppError('request.invalid', { detail: 'unknown listing cursor' });
    return cursor.slice(V.length);
  }

  return {
    async changeMarker(email) {
      const res = await call(deps, email, PROFILE_UNITS, { method: 'GET', url: `${users(deps, email)}/profile` });
      if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`users.getProfile answered ${describe(parseGoogleError(res), res)}`);
      const p = profile.safeParse(res.json());
      if (!p.success || !/^\d+$/.test(p.data.historyId)) throw badResponse('users.getProfile answered without a historyId');
      return p.data.historyId;
    },

    async listAddedSince(email, marker, cursor) {
      if (!/^\d+$/.test(marker)) throw new AppError('request.invalid', { detail: 'a change marker is a Gmail historyId (digits)' });
      const q = new URLSearchParams({ startHistoryId: marker, historyTypes: 'messageAdded', maxResults: '500' });
      const token = cursorOf(cursor);
      if (token) q.set('pageToken', token);
      const res = await call(deps, email, HISTORY_UNITS, { method: 'GET', url: `${users(deps, email)}/history?${q.toString()}` });
      if (res.status === 404) throw new AppError('recovery.history_expired', { email });
      if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`users.history.list answered ${describe(parseGoogleError(res), res)}`);
      const page = historyPage.safeParse(res.json());
      if (!page.success) throw badResponse('users.history.list answered an unexpected body');
      const ids = new Set<string>();
      for (const h of page.data.history ?? []) for (const a of h.messagesAdded ?? []) ids.add(a.message.id);
      const next = page.data.nextPageToken ?? null;
      if (next !== null && next === token) throw badResponse('users.history.list answered the same page token again');
      return { items: [...ids], next: next ? V + next : null, deltaCursor: null };
    },

    async listSince(email, since, cursor) {
      // after: takes epoch seconds (https://developers.google.com/workspace/gmail/api/guides/filtering).
      const q = new URLSearchParams({ q: `after:${Math.floor(since.getTime() / 1000)}`, maxResults: '500' });
      const token = cursorOf(cursor);
      if (token) q.set('pageToken', token);
      const res = await call(deps, email, UNITS.list, { method: 'GET', url: `${users(deps, email)}/messages?${q.toString()}` });
      if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`messages.list answered ${describe(parseGoogleError(res), res)}`);
      const page = listPage.safeParse(res.json());
      if (!page.success) throw badResponse('messages.list answered an unexpected body');
      const next = page.data.nextPageToken ?? null;
      if (next !== null && next === token) throw badResponse('messages.list answered the same page token again');
      return { items: (page.data.messages ?? []).map((m) => m.id), next: next ? V + next : null, deltaCursor: null };
    },

    async readMessage(email, id): Promise<MailboxMessage | null> {
      // A whole message (base64url in JSON) may exceed a listing page's cap: allow Gmail's 150 MB limit encoded.
      const res = await call(deps, email, UNITS.get, { method: 'GET', url: `${users(deps, email)}/messages/${encodeURIComponent(id)}?format=raw`, maxResponseBytes: 220 * 1024 * 1024 });
      if (res.status === 404) return null;
      if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`messages.get answered ${describe(parseGoogleError(res), res)}`);
      const m = rawMessage.safeParse(res.json());
      if (!m.success || m.data.id !== id) throw badResponse('messages.get answered an unexpected body');
      const labels = new Set(m.data.labelIds ?? []);
      const userIds = [...labels].filter((l) => l.startsWith('Label_') || !/^[A-Z_]+$/.test(l));
      let names = await namesOf(email);
      if (userIds.some((l) => !names.has(l))) names = await namesOf(email, userIds.find((l) => !names.has(l)));
      return {
        id,
        raw: Buffer.from(m.data.raw.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url'),
        placement: {
          inbox: labels.has('INBOX'), sent: labels.has('SENT'), spam: labels.has('SPAM'), trash: labels.has('TRASH'), draft: labels.has('DRAFT'), chat: labels.has('CHAT'),
          read: !labels.has('UNREAD'), starred: labels.has('STARRED'), important: labels.has('IMPORTANT'),
          userFolders: userIds.map((l) => names.get(l)).filter((n): n is string => n !== undefined).sort(),
        },
        receivedAt: new Date(m.data.internalDate ? Number(m.data.internalDate) : deps.ctx.now().getTime()).toISOString(),
      };
    },
  };
}
