import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, requestUrl, sendJson } from '../http.js';
import type { SandboxContext, VendorSandbox } from '../types.js';
import { createEntraListener } from './entra.js';
import { entraSignInOf } from './entra-signin.js';
import { redirectUrisAdmin } from '../oidc.js';
import { createGraphListener, type GraphQuotas } from './graph.js';
import { defaultIdentityThrottle } from './graph-throttle.js';
import { createDirectoryAdmin } from './admin-directory.js';
import { toMime, type Mailbox, type SimKind } from './mailbox.js';
import { createMicrosoftWorld, DIRECTORY_TENANT, GRAPH_APP_ROLES, LARGE_TENANT, type MicrosoftWorld } from './world.js';
import type { FaultName } from '../faults.js';
import { mailAdmin } from './mail-admin.js';
import { attachmentsOf } from './graph-mail-write.js';

export interface MicrosoftDemo {
  readonly tenantId: string;
  readonly clientId: string;
  readonly domain: string;
  readonly pfxBase64: string;
  readonly pfxPassword: string;
  readonly certificateThumbprint: string;
  readonly certificateNotAfter: string;
  readonly clientSecret: string;
  readonly clientSecretId: string;
  readonly clientSecretExpiresAt: string;
  readonly permissions: readonly string[];
  /** The second, directory-only tenant (guests, disabled and service accounts; no mailboxes). */
  readonly directoryTenantId: string;
  readonly directoryDomain: string;
  /** The large tenant's id; it exists once `POST {admin}/microsoft/tenants/large` created it. */
  readonly largeTenantId: string;
  /** A directory user (in Entra and in Google Workspace) the demo makes a Syncwarden user, for "Sign in with Microsoft/Google". */
  readonly signInUserEmail: string;
}

/** Entra ID + Microsoft Graph simulators and their admin API (under /microsoft/). */
export async function createMicrosoftSandbox(ctx: SandboxContext): Promise<VendorSandbox<MicrosoftDemo> & { world: MicrosoftWorld }> {
  const world = createMicrosoftWorld(ctx);
  const quotas: GraphQuotas = { requestsPer10Min: 10_000, concurrent: 4 };
  const identity = defaultIdentityThrottle();
  const graph = createGraphListener(ctx, world, quotas, identity);
  const directoryAdmin = createDirectoryAdmin(ctx, world, identity);
  const applied = new Set<string>();

  /** item.* faults add one-off items to a user's Inbox the next time the mailbox is read. */
  function applyItemFaults(): void {
    const kinds: [FaultName, SimKind][] = [['item.too_large', 'too_large'], ['item.encrypted', 'encrypted'], ['item.unsupported_type', 'calendar']];
    for (const [fault, kind] of kinds) {
      const f = ctx.faults.get(world.tenantId, fault);
      if (!f) continue;
      const user = world.userByKey(String(f.params['user'] ?? ''));
      if (!user) continue;
      const key = `${fault}/${user.id}`;
      if (applied.has(key)) continue;
      applied.add(key);
      const mb = world.mailbox(user);
      const inbox = mb.folder('inbox')!;
      for (let i = 0; i < Number(f.params['count'] ?? 1); i++) {
        mb.addMessage({
          folderId: inbox.id, subject: `${kind.replace('_', ' ')} item ${i + 1}`, receivedDateTime: new Date(ctx.now() - 3_600_000).toISOString(),
          isRead: false, isDraft: false, importance: 'normal', flagged: false, categories: [], paragraphs: 1, attachment: false, kind, fromIndex: 7,
        });
      }
    }
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (!path.startsWith('/microsoft/')) return false;
    const url = requestUrl(req);
    const parts = path.split('/').slice(2).map(decodeURIComponent); // after '/microsoft'
    const body = req.method === 'GET' || req.method === 'DELETE' ? {} : (JSON.parse((await readBody(req, 1 << 20)).toString('utf8') || '{}') as Record<string, unknown>);
    if (parts[0] === 'sign-in' && parts[1] === 'redirect-uris' && parts.length === 2 && entraSignInOf.get(world)) {
      redirectUrisAdmin(res, req.method ?? 'GET', body, entraSignInOf.get(world)!.redirectUris);
      return true;
    }
    if (mailAdmin(ctx, world, req, res, parts, body)) return true;
    if (parts[0] === 'users' && parts.length === 1) {
      sendJson(res, 200, { users: world.users.map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, accountEnabled: u.accountEnabled })) });
      return true;
    }
    if (parts[0] === 'tokens' && parts[1] === 'expire' && req.method === 'POST') {
      // Every access token issued so far is now past its lifetime — by the moment each was
      // decided (world.tokenDecidedMs), so one signed in the same second survives no more.
      world.tokensValidFromMs = ctx.now() + 1;
      sendJson(res, 200, { tokensValidFrom: new Date(world.tokensValidFromMs).toISOString() });
      return true;
    }
    if (parts[0] === 'quotas' && req.method === 'POST') {
      if (typeof body['requestsPer10Min'] === 'number') quotas.requestsPer10Min = body['requestsPer10Min'];
      if (typeof body['concurrent'] === 'number') quotas.concurrent = body['concurrent'];
      if (typeof body['windowMs'] === 'number') quotas.windowMs = body['windowMs'];
      sendJson(res, 200, quotas);
      return true;
    }
    if (parts[0] === 'consent' && req.method === 'POST') {
      const perms = Array.isArray(body['permissions']) ? (body['permissions'] as string[]) : [];
      const unknown = perms.filter((p) => !(p in GRAPH_APP_ROLES));
      if (unknown.length) {
        sendJson(res, 400, { error: `unknown permissions ${unknown.join(', ')}` });
        return true;
      }
      // Mutated in place: the home tenant's consent holds the same set.
      world.app.granted.clear();
      for (const p of perms) world.app.granted.add(p);
      sendJson(res, 200, { granted: perms });
      return true;
    }
    if (directoryAdmin(req, res, url, parts, body)) return true;
    if (parts[0] === 'mailboxes' && parts[1]) {
      const user = world.userByKey(parts[1]);
      if (!user) {
        sendJson(res, 404, { error: `no user ${parts[1]}` });
        return true;
      }
      applyItemFaults();
      const mb = world.mailbox(user);
      return mailboxAdmin(req, res, url, mb, parts.slice(2), body);
    }
    sendJson(res, 404, { error: `no route ${req.method} ${path}` });
    return true;
  }

  function mailboxAdmin(req: IncomingMessage, res: ServerResponse, url: URL, mb: Mailbox, rest: string[], body: Record<string, unknown>): boolean {
    const pathOf = (folderId: string): string[] => {
      const names: string[] = [];
      let f = mb.folders.find((x) => x.id === folderId);
      while (f) {
        names.unshift(f.displayName);
        const parent = f.parentFolderId;
        f = mb.folders.find((x) => x.id === parent);
      }
      return names;
    };
    if (rest.length === 0 && req.method === 'GET') {
      sendJson(res, 200, {
        user: mb.user.userPrincipalName,
        folders: mb.folders.map((f) => ({
          id: f.id, displayName: f.displayName, path: pathOf(f.id), wellKnownName: f.wellKnownName, isHidden: f.isHidden,
          messages: mb.messagesIn(f.id).map((m) => ({
            id: m.id, internetMessageId: m.internetMessageId, subject: m.subject, receivedDateTime: m.receivedDateTime,
            isRead: m.isRead, isDraft: m.isDraft, flagged: m.flagged, importance: m.importance, categories: m.categories, kind: m.kind, attachments: attachmentsOf(m),
            ...(url.searchParams.get('mime') === '1' ? { mime: toMime(m).toString('base64') } : {}),
          })),
        })),
      });
      return true;
    }
    if (rest[0] === 'messages' && rest.length === 1 && req.method === 'POST') {
      const folder = mb.folder(String(body['folder'] ?? 'inbox'));
      if (!folder) {
        sendJson(res, 400, { error: 'unknown folder' });
        return true;
      }
      const m = mb.addMessage({
        folderId: folder.id, subject: String(body['subject'] ?? 'New message'), receivedDateTime: String(body['receivedDateTime'] ?? new Date(ctx.now()).toISOString()),
        isRead: Boolean(body['isRead'] ?? false), isDraft: false, importance: 'normal', flagged: Boolean(body['flagged'] ?? false), categories: [],
        paragraphs: 2, attachment: false, kind: (body['kind'] as SimKind | undefined) ?? 'normal', fromIndex: 3,
      });
      sendJson(res, 201, { id: m.id, internetMessageId: m.internetMessageId });
      return true;
    }
    if (rest[0] === 'messages' && rest[1]) {
      if (req.method === 'DELETE') {
        sendJson(res, mb.remove(rest[1]) ? 200 : 404, {});
        return true;
      }
      if (req.method === 'PATCH') {
        const folder = typeof body['folder'] === 'string' ? mb.folder(body['folder']) : undefined;
        const m = mb.update(rest[1], {
          ...(typeof body['isRead'] === 'boolean' ? { isRead: body['isRead'] } : {}),
          ...(typeof body['flagged'] === 'boolean' ? { flagged: body['flagged'] } : {}),
          ...(Array.isArray(body['categories']) ? { categories: body['categories'] as string[] } : {}),
          ...(folder ? { folderId: folder.id } : {}),
        });
        sendJson(res, m ? 200 : 404, m ? { id: m.id } : {});
        return true;
      }
    }
    sendJson(res, 404, { error: 'no such mailbox route' });
    return true;
  }

  const entra = createEntraListener(ctx, world);
  return {
    world,
    services: {
      entra_login: entra,
      graph: (req, res) => {
        applyItemFaults();
        return graph(req, res);
      },
    },
    admin,
    demo: {
      tenantId: world.tenantId,
      clientId: world.app.appId,
      domain: world.domain,
      pfxBase64: world.credentials.pfxBase64,
      pfxPassword: world.credentials.pfxPassword,
      certificateThumbprint: world.app.certificates[0]!.sha1Hex,
      certificateNotAfter: world.credentials.certificateNotAfter,
      clientSecret: world.credentials.clientSecret,
      clientSecretId: world.credentials.clientSecretId,
      clientSecretExpiresAt: world.credentials.clientSecretExpiresAt,
      permissions: world.app.requiredPermissions,
      directoryTenantId: DIRECTORY_TENANT.tenantId,
      directoryDomain: DIRECTORY_TENANT.domain,
      largeTenantId: LARGE_TENANT.tenantId,
      /** A directory user (in Entra and in Google Workspace) the demo makes a Syncwarden user, for "Sign in with Microsoft/Google". */
      signInUserEmail: world.users[0]!.userPrincipalName,
    },
  };
}
