import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http.js';
import { prng } from '../demo.js';
import type { SandboxContext } from '../types.js';
import { graphMailStats, resetGraphMailStats } from './graph-mail.js';
import { graphWriteStats, resetGraphWriteStats } from './graph-mail-write.js';
import { guidFrom, type MicrosoftWorld } from './world.js';
import type { Mailbox, SimKind } from './mailbox.js';

/**
 * The mail part of the Microsoft sandbox admin API (under /microsoft/ on the admin origin),
 * for tests and benchmarks: request counters, extra mailbox users, bulk mail, new folders,
 * and messages with every property a delta round carries (drafts, categories, edits).
 * Returns false for paths that are not its own (index.ts serves the rest).
 */
export function mailAdmin(ctx: SandboxContext, world: MicrosoftWorld, req: IncomingMessage, res: ServerResponse, parts: string[], body: Record<string, unknown>): boolean {
  const method = req.method ?? 'GET';
  if (parts[0] === 'mail' && parts[1] === 'stats') {
    if (method === 'DELETE') {
      resetGraphMailStats(world);
      resetGraphWriteStats(world);
    }
    sendJson(res, 200, { ...graphMailStats(world), writes: graphWriteStats(world) });
    return true;
  }
  if (parts[0] === 'mail' && parts[1] === 'users' && method === 'POST') {
    // Extra licensed users with (initially empty) mailboxes: benchmarks need more than the demo's 25.
    const count = Math.min(Number(body['count'] ?? 1), 1000);
    const prefix = String(body['prefix'] ?? 'bench');
    const added: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = world.users.length + i;
      const local = `${prefix}.user${String(n).padStart(3, '0')}`;
      const upn = `${local}@${world.domain}`;
      if (world.userByKey(upn)) continue;
      const id = guidFrom(`extra-user-${prefix}-${n}`);
      // A directory user licensed for Exchange Online, at the same index in the mailbox list.
      const index = world.home.directory.addUser(
        {
          id, userPrincipalName: upn, displayName: `Bench User ${n}`, givenName: 'Bench', surname: `User ${n}`, mail: upn, jobTitle: null, department: 'Benchmarks',
          accountEnabled: true, userType: 'Member', employeeId: null, createdDateTime: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'), onPremisesImmutableId: null, externalUserState: null,
        },
        { mailbox: true },
      );
      // index % 11 === 3 generates an empty demo mailbox; extra users start empty and get bulk mail.
      world.users[index] = { id, userPrincipalName: upn, mail: upn, displayName: `Bench User ${n}`, givenName: 'Bench', surname: `User ${n}`, accountEnabled: true, deleted: false, index: index * 11 + 3 };
      added.push(upn);
    }
    sendJson(res, 201, { users: added });
    return true;
  }
  if (parts[0] !== 'mailboxes' || !parts[1]) return false;
  const user = world.userByKey(parts[1]);
  if (!user) return false; // index.ts answers 404
  const mb = world.mailbox(user);
  const rest = parts.slice(2);

  if (rest[0] === 'folders' && rest.length === 1 && method === 'POST') {
    const parent = typeof body['parent'] === 'string' ? mb.folder(body['parent']) : undefined;
    const f = mb.createFolder(String(body['name'] ?? 'New folder'), parent?.id ?? null);
    sendJson(res, 201, { id: f.id, displayName: f.displayName });
    return true;
  }
  if (rest[0] === 'bulk' && method === 'POST') {
    sendJson(res, 201, { added: bulk(ctx, mb, body) });
    return true;
  }
  if (rest[0] === 'messages' && rest.length === 1 && method === 'POST') {
    const isDraft = body['isDraft'] === true;
    const folder = mb.folder(String(body['folder'] ?? (isDraft ? 'drafts' : 'inbox')));
    if (!folder) {
      sendJson(res, 400, { error: 'unknown folder' });
      return true;
    }
    const m = mb.addMessage({
      folderId: folder.id, subject: String(body['subject'] ?? 'New message'), receivedDateTime: String(body['receivedDateTime'] ?? new Date(ctx.now()).toISOString()),
      isRead: Boolean(body['isRead'] ?? isDraft), isDraft, importance: (body['importance'] as 'low' | 'normal' | 'high' | undefined) ?? 'normal',
      flagged: Boolean(body['flagged'] ?? false), categories: Array.isArray(body['categories']) ? (body['categories'] as string[]) : [],
      paragraphs: Number(body['paragraphs'] ?? 2), attachment: Boolean(body['attachment'] ?? false), kind: (body['kind'] as SimKind | undefined) ?? 'normal', fromIndex: 3,
    });
    sendJson(res, 201, { id: m.id, internetMessageId: m.internetMessageId });
    return true;
  }
  if (rest[0] === 'messages' && rest[1] && rest.length === 2 && method === 'PATCH' && body['send'] === true) {
    const m = mb.send(rest[1]);
    sendJson(res, m ? 200 : 404, m ? { id: m.id, internetMessageId: m.internetMessageId } : { error: 'no such draft' });
    return true;
  }
  if (rest[0] === 'messages' && rest[1] && rest.length === 2 && method === 'PATCH' && ('subject' in body || 'body' in body || 'importance' in body)) {
    const folder = typeof body['folder'] === 'string' ? mb.folder(body['folder']) : undefined;
    const m = mb.update(rest[1], {
      ...(typeof body['isRead'] === 'boolean' ? { isRead: body['isRead'] } : {}),
      ...(typeof body['flagged'] === 'boolean' ? { flagged: body['flagged'] } : {}),
      ...(Array.isArray(body['categories']) ? { categories: body['categories'] as string[] } : {}),
      ...(folder ? { folderId: folder.id } : {}),
      ...(typeof body['subject'] === 'string' ? { subject: body['subject'] } : {}),
      ...(typeof body['body'] === 'string' ? { body: body['body'] } : {}),
    });
    sendJson(res, m ? 200 : 404, m ? { id: m.id } : {});
    return true;
  }
  return false;
}

/** Adds `count` ordinary messages spread over the last `withinDays` days across the usual folders. */
function bulk(ctx: SandboxContext, mb: Mailbox, body: Record<string, unknown>): number {
  const count = Math.min(Number(body['count'] ?? 100), 100_000);
  const withinDays = Number(body['withinDays'] ?? 7);
  const rand = prng(Number(body['seed'] ?? 7) + mb.messages.size);
  const folderNames = Array.isArray(body['folders']) ? (body['folders'] as string[]) : [String(body['folder'] ?? 'inbox')];
  const folders = folderNames.map((n) => mb.folder(n)).filter((f) => f !== undefined);
  if (folders.length === 0) return 0;
  const now = ctx.now();
  for (let i = 0; i < count; i++) {
    mb.addMessage({
      folderId: folders[i % folders.length]!.id,
      subject: `Bulk message ${i + 1}`,
      // Strictly inside the window: at least a minute old, at most withinDays.
      receivedDateTime: new Date(now - 60_000 - Math.floor(rand() * (withinDays * 86_400_000 - 120_000))).toISOString(),
      isRead: rand() < 0.6, isDraft: false, importance: rand() < 0.05 ? 'high' : 'normal', flagged: rand() < 0.1,
      categories: [], paragraphs: 1 + Math.floor(rand() * 6), attachment: rand() < 0.1, kind: 'normal', fromIndex: Math.floor(rand() * 1000),
    });
  }
  return count;
}
