import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { ConnectorContext, HttpResponse, MailboxWriter, RateCost, WrittenMessage } from '../sdk/index.js';
import type { MimeAttachment } from '../sdk/mime.js';
import type { GraphClient } from './graph-client.js';
import { attachmentJson, graphCreate, MAX_ATTACHMENT_BYTES, MAX_SIMPLE_ATTACHMENT_BYTES } from './mime-to-graph.js';

/**
 * Writing recovered mail into a Microsoft 365 mailbox over Graph (needs Mail.ReadWrite):
 * folders by well-known name or by path (created when missing), a lookup by Message-ID, and
 * the message itself — a JSON create with its MAPI flags (mime-to-graph.ts), then any
 * attachment that did not fit, by POST (≤ 3 MB) or an upload session (≤ 150 MB, chunks of
 * ≤ 4 MB PUT to the pre-authenticated upload URL without our token).
 * https://learn.microsoft.com/graph/api/user-post-messages
 * https://learn.microsoft.com/graph/outlook-large-attachments
 *
 * Every request spends the mailbox's request budget (Outlook: 10,000 per 10 minutes and 4 at
 * once per app and mailbox, shared with reading it) and every body the upload budget (150 MB
 * per 5 minutes). https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits
 */
export const WRITE_PERMISSION = 'Mail.ReadWrite';
const CHUNK_BYTES = 4 * 1024 * 1024 - 64 * 1024; // under the 4 MB a PUT may carry

const folderJson = z.object({ id: z.string(), displayName: z.string() });
const folderPage = z.object({ value: z.array(folderJson), '@odata.nextLink': z.string().optional() });
const created = z.object({ id: z.string(), parentFolderId: z.string().optional(), isDraft: z.boolean().optional() });
const foundPage = z.object({ value: z.array(z.object({ id: z.string(), parentFolderId: z.string().optional(), isDraft: z.boolean().optional() })) });
const attachmentPage = z.object({ value: z.array(z.object({ id: z.string(), name: z.string().nullable().optional(), size: z.number().optional() })), '@odata.nextLink': z.string().optional() });
const uploadSession = z.object({ uploadUrl: z.string().url(), nextExpectedRanges: z.array(z.string()).optional() });

export function createRecoveryWriter(ctx: ConnectorContext, tenantId: string, graph: GraphClient): MailboxWriter {
  const mailbox = (accountId: string): RateCost[] => [{ key: `source:mailbox:${tenantId}:${accountId}`, cost: 1 }];
  const withUpload = (accountId: string, bytes: number): RateCost[] => [...mailbox(accountId), { key: `source:upload:${tenantId}:${accountId}`, cost: Math.max(1, bytes) }];
  const folders = new Map<string, string>();
  const user = (accountId: string) => `/users/${encodeURIComponent(accountId)}`;

  async function childFolders(accountId: string, parentId: string | null): Promise<z.infer<typeof folderJson>[]> {
    const out: z.infer<typeof folderJson>[] = [];
    let next: string | null = parentId === null ? `${user(accountId)}/mailFolders?$top=100&$select=id,displayName` : `${user(accountId)}/mailFolders/${encodeURIComponent(parentId)}/childFolders?$top=100&$select=id,displayName`;
    for (let pages = 0; next && pages < 100; pages++) {
      const page: z.infer<typeof folderPage> = (await graph.getJson({ path: next, permission: 'Mail.Read', budgets: mailbox(accountId) }, folderPage))!;
      out.push(...page.value);
      next = page['@odata.nextLink'] ?? null;
    }
    return out;
  }

  async function ensureChild(accountId: string, parentId: string | null, name: string): Promise<string> {
    const same = (f: { displayName: string }) => f.displayName.trim().toLowerCase() === name.toLowerCase();
    const existing = (await childFolders(accountId, parentId)).find(same);
    if (existing) return existing.id;
    const path = parentId === null ? `${user(accountId)}/mailFolders` : `${user(accountId)}/mailFolders/${encodeURIComponent(parentId)}/childFolders`;
    const body = JSON.stringify({ displayName: name });
    const res = await graph.get({ path, method: 'POST', body, permission: WRITE_PERMISSION, budgets: withUpload(accountId, body.length), accept: [409] });
    if (res!.status === 409) {
      // Created meanwhile (another run): read it back.
      const again = (await childFolders(accountId, parentId)).find(same);
      if (again) return again.id;
      throw new AppError('recovery.folder_unavailable', { folder: name, email: accountId, detail: 'a folder with that name exists but cannot be found' });
    }
    const f = folderJson.safeParse(res!.json());
    if (!f.success) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: 'a created folder without an id' });
    return f.data.id;
  }

  async function postAttachment(accountId: string, messageId: string, a: MimeAttachment): Promise<void> {
    const base = `${user(accountId)}/messages/${encodeURIComponent(messageId)}/attachments`;
    if (a.content.length <= MAX_SIMPLE_ATTACHMENT_BYTES) {
      const body = JSON.stringify(attachmentJson(a));
      await graph.get({ path: base, method: 'POST', body, permission: WRITE_PERMISSION, budgets: withUpload(accountId, body.length) });
      return;
    }
    const sessionBody = JSON.stringify({ AttachmentItem: { attachmentType: 'file', name: a.filename, size: a.content.length, contentType: a.contentType, isInline: a.inline, ...(a.contentId ? { contentId: a.contentId } : {}) } });
    const s = await graph.getJson({ path: `${base}/createUploadSession`, method: 'POST', body: sessionBody, permission: WRITE_PERMISSION, budgets: withUpload(accountId, sessionBody.length) }, uploadSession);
    const url = s!.uploadUrl;
    if (!uploadOriginAllowed(url, graph.base)) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: 'an upload URL outside Microsoft 365' });
    for (let start = 0; start < a.content.length; start += CHUNK_BYTES) {
      const chunk = a.content.subarray(start, Math.min(a.content.length, start + CHUNK_BYTES));
      // Pre-authenticated: no Authorization header (and our token never leaves Graph).
      const res = await ctx.http.request({
        method: 'PUT', url,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${start + chunk.length - 1}/${a.content.length}` },
        body: chunk, budgets: withUpload(accountId, chunk.length), idempotent: true,
      });
      if (res.status !== 200 && res.status !== 201) throw uploadError(res);
    }
  }

  const writer: MailboxWriter = {
    async ensureFolder(accountId, target) {
      const key = `${accountId}\u0000${'wellKnown' in target ? `wk:${target.wellKnown}` : target.path.join('\u0001')}`;
      const hit = folders.get(key);
      if (hit) return hit;
      let id: string;
      if ('wellKnown' in target) {
        const f = await graph.getJson({ path: `${user(accountId)}/mailFolders/${target.wellKnown}?$select=id,displayName`, permission: 'Mail.Read', budgets: mailbox(accountId) }, folderJson);
        id = f!.id;
      } else {
        if (target.path.length === 0) throw new AppError('recovery.folder_unavailable', { folder: '(none)', email: accountId, detail: 'an empty folder name' });
        let parent: string | null = null;
        for (const name of target.path) parent = await ensureChild(accountId, parent, name);
        id = parent!;
      }
      folders.set(key, id);
      return id;
    },

    async findByMessageId(accountId, internetMessageId) {
      // OData string literal: single quotes doubled. https://learn.microsoft.com/graph/filter-query-parameter
      const filter = `internetMessageId eq '${internetMessageId.replace(/'/g, "''")}'`;
      const q = new URLSearchParams({ $filter: filter, $select: 'id,parentFolderId,isDraft', $top: '25' });
      const page = await graph.getJson({ path: `${user(accountId)}/messages?${q.toString().replace(/\+/g, '%20')}`, permission: 'Mail.Read', budgets: mailbox(accountId) }, foundPage);
      return page!.value.map((m): WrittenMessage => ({ id: m.id, folderId: m.parentFolderId ?? '', isDraft: m.isDraft === true }));
    },

    async writeMessage(accountId, folderId, raw, opts) {
      const c = graphCreate(raw, opts);
      const tooBig = c.all.find((a) => a.content.length > MAX_ATTACHMENT_BYTES);
      if (tooBig) throw new AppError('item.too_large', { size: tooBig.content.length, limit: MAX_ATTACHMENT_BYTES });
      const body = JSON.stringify(c.json);
      const res = await graph.get({ path: `${user(accountId)}/mailFolders/${encodeURIComponent(folderId)}/messages`, method: 'POST', body, permission: WRITE_PERMISSION, budgets: withUpload(accountId, Buffer.byteLength(body)), accept: [413] });
      if (res!.status === 413) throw new AppError('item.too_large', { size: Buffer.byteLength(body), limit: 4 * 1024 * 1024 });
      const m = created.safeParse(res!.json());
      if (!m.success) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: 'a created message without an id' });
      if (m.data.isDraft === true) {
        // Exchange ignored the flags: never leave an unsent copy behind in the user's mailbox.
        await graph.get({ path: `${user(accountId)}/messages/${encodeURIComponent(m.data.id)}`, method: 'DELETE', permission: WRITE_PERMISSION, budgets: mailbox(accountId), accept: [404] });
        throw new AppError('recovery.created_as_draft', { subject: c.subject.slice(0, 120), email: accountId });
      }
      for (const a of c.later) await postAttachment(accountId, m.data.id, a);
      return { id: m.data.id, folderId: m.data.parentFolderId ?? folderId, isDraft: false };
    },

    async completeMessage(accountId, messageId, raw) {
      const c = graphCreate(raw, { read: true, flagged: false, receivedAt: new Date(0).toISOString(), sent: false });
      if (c.all.length === 0) return;
      const have: { name: string; size: number }[] = [];
      let next: string | null = `${user(accountId)}/messages/${encodeURIComponent(messageId)}/attachments?$select=id,name,size`;
      for (let pages = 0; next && pages < 20; pages++) {
        const page: z.infer<typeof attachmentPage> = (await graph.getJson({ path: next, permission: 'Mail.Read', budgets: mailbox(accountId) }, attachmentPage))!;
        for (const a of page.value) have.push({ name: a.name ?? '', size: a.size ?? 0 });
        next = page['@odata.nextLink'] ?? null;
      }
      // Match by name, each stored attachment accounting for one of ours.
      const pool = [...have];
      for (const a of c.all) {
        const i = pool.findIndex((h) => h.name === a.filename);
        if (i >= 0) pool.splice(i, 1);
        else await postAttachment(accountId, messageId, a);
      }
    },
  };
  return writer;
}

/** The upload URL must be Microsoft 365's (or the Graph origin the connection was given, e.g. the sandbox). */
export function uploadOriginAllowed(url: string, graphBase: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.origin === new URL(graphBase).origin) return true;
  return u.protocol === 'https:' && /(^|\.)(office\.com|office365\.com|outlook\.com)$/i.test(u.hostname);
}

function uploadError(res: HttpResponse): AppError {
  if (res.status === 429) {
    const ra = Number(res.headers.get('retry-after'));
    return new AppError('sync.rate_limited', { provider: 'Microsoft 365' }, Number.isFinite(ra) && ra > 0 ? { retryAfterMs: Math.ceil(ra * 1000) } : {});
  }
  if (res.status === 413) return new AppError('item.too_large', { size: 0, limit: MAX_ATTACHMENT_BYTES });
  if (res.status >= 500) return new AppError('provider.unavailable', { provider: 'Microsoft Graph', status: res.status });
  return new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `attachment upload answered HTTP ${res.status}` });
}
