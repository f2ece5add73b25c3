import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { ConnectorContext, ListMessagesOptions, MailFolder, MailSource, MessageRef, Page, SourceAccount, WellKnownFolder } from '../sdk/index.js';
import { CONTINUITY_PERMISSIONS, type MicrosoftConnectorConfig } from './config.js';
import { createGraphClient } from './graph-client.js';
import { createTokenSource } from './token.js';
import { microsoftChecks } from './checks.js';

const user = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  mail: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  givenName: z.string().nullable().optional(),
  surname: z.string().nullable().optional(),
  accountEnabled: z.boolean().optional(),
});
const userPage = z.object({ value: z.array(user), '@odata.nextLink': z.string().optional() });
const folder = z.object({ id: z.string(), displayName: z.string(), parentFolderId: z.string().nullable().optional(), childFolderCount: z.number().optional(), totalItemCount: z.number().optional() });
const folderPage = z.object({ value: z.array(folder), '@odata.nextLink': z.string().optional() });
const message = z.object({
  id: z.string(),
  '@removed': z.object({ reason: z.string() }).optional(),
  '@odata.type': z.string().optional(),
  internetMessageId: z.string().nullable().optional(),
  subject: z.string().nullable().optional(),
  receivedDateTime: z.string().nullable().optional(),
  isRead: z.boolean().optional(),
  isDraft: z.boolean().optional(),
  importance: z.enum(['low', 'normal', 'high']).optional(),
  flag: z.object({ flagStatus: z.string() }).optional(),
  categories: z.array(z.string()).optional(),
  size: z.number().optional(),
});
const messagePage = z.object({ value: z.array(message), '@odata.nextLink': z.string().optional(), '@odata.deltaLink': z.string().optional() });

const WELL_KNOWN: readonly WellKnownFolder[] = ['inbox', 'sentitems', 'drafts', 'deleteditems', 'junkemail', 'archive', 'outbox'];
const MESSAGE_FIELDS = 'internetMessageId,subject,receivedDateTime,isRead,isDraft,importance,flag,categories';
/** Persisted cursors carry a format version so their shape can evolve. */
const CURSOR_V = 'v1:';

/** Microsoft 365 as a continuity mail source, over Graph. */
export function createMicrosoftSource(ctx: ConnectorContext, config: MicrosoftConnectorConfig): MailSource {
  const tokens = createTokenSource(ctx.http, config, ctx.now);
  const graph = createGraphClient(ctx.http, config, tokens);
  const mailboxBudget = (userId: string) => [{ key: `m365:mailbox:${config.tenantId}:${userId}`, cost: 1 }];

  function toAccount(u: z.infer<typeof user>): SourceAccount {
    return {
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      mail: u.mail ?? null,
      displayName: u.displayName ?? u.userPrincipalName,
      givenName: u.givenName ?? null,
      surname: u.surname ?? null,
      accountEnabled: u.accountEnabled ?? true,
    };
  }

  const source: MailSource = {
    checks: () => microsoftChecks(config, tokens, graph, ctx),

    async listAccounts(cursor) {
      const path = cursor ?? `/users?$top=999&$select=id,userPrincipalName,mail,displayName,givenName,surname,accountEnabled`;
      const page = (await graph.getJson({ path, permission: 'User.Read.All' }, userPage))!;
      return { items: page.value.map(toAccount), next: page['@odata.nextLink'] ?? null, deltaCursor: null };
    },

    async getAccount(idOrUpn) {
      const u = await graph.getJson(
        { path: `/users/${encodeURIComponent(idOrUpn)}?$select=id,userPrincipalName,mail,displayName,givenName,surname,accountEnabled`, permission: 'User.Read.All', notFoundIsNull: true },
        user,
      );
      return u ? toAccount(u) : null;
    },

    async listFolders(accountId) {
      const budgets = mailboxBudget(accountId);
      // Well-known folders are addressed by name; their ids tell which folder is which.
      const wellKnownIds = new Map<string, WellKnownFolder>();
      for (const wk of WELL_KNOWN) {
        const f = await graph.getJson({ path: `/users/${accountId}/mailFolders/${wk}`, permission: 'Mail.Read', budgets, notFoundIsNull: true }, folder);
        if (f) wellKnownIds.set(f.id, wk);
      }
      const out: MailFolder[] = [];
      const walk = async (path: string, parentPath: string[], parentId: string | null): Promise<void> => {
        let next: string | null = path;
        while (next) {
          const page: z.infer<typeof folderPage> = (await graph.getJson({ path: next, permission: 'Mail.Read', budgets }, folderPage))!;
          for (const f of page.value) {
            const p = [...parentPath, f.displayName];
            out.push({ id: f.id, displayName: f.displayName, parentFolderId: parentId, path: p, wellKnownName: wellKnownIds.get(f.id) ?? null, totalItemCount: f.totalItemCount ?? null });
            if ((f.childFolderCount ?? 1) > 0) await walk(`/users/${accountId}/mailFolders/${f.id}/childFolders?$top=100`, p, f.id);
          }
          next = page['@odata.nextLink'] ?? null;
        }
      };
      await walk(`/users/${accountId}/mailFolders?$top=100`, [], null);
      // Outbox holds mail not yet sent; it is not part of the mailbox's history.
      return out.filter((f) => f.wellKnownName !== 'outbox');
    },

    async listMessages(accountId, folderId, cursor, opts: ListMessagesOptions = {}): Promise<Page<MessageRef>> {
      let url: string;
      if (cursor) {
        if (!cursor.startsWith(CURSOR_V)) throw new AppError('sync.delta_expired', { what: 'a mail folder' });
        url = cursor.slice(CURSOR_V.length);
      } else {
        const q = new URLSearchParams({ $select: MESSAGE_FIELDS });
        if (opts.since) q.set('$filter', `receivedDateTime ge ${opts.since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
        url = `/users/${accountId}/mailFolders/${folderId}/messages/delta?${q.toString().replace(/\+/g, '%20')}`;
      }
      const page = (await graph.getJson(
        { path: url, permission: 'Mail.Read', budgets: mailboxBudget(accountId), headers: { prefer: `odata.maxpagesize=${opts.pageSize ?? 50}` } },
        messagePage,
      ))!;
      const items: MessageRef[] = page.value.map((m) => ({
        id: m.id,
        removed: m['@removed'] !== undefined,
        internetMessageId: m.internetMessageId ?? null,
        subject: m.subject ?? null,
        receivedDateTime: m.receivedDateTime ?? null,
        isRead: m.isRead ?? true,
        isDraft: m.isDraft ?? false,
        flagged: m.flag?.flagStatus === 'flagged',
        importance: m.importance ?? 'normal',
        categories: m.categories ?? [],
        size: m.size ?? null,
        // Calendar invitations and other non-mail items arrive as eventMessage types.
        ...(m['@odata.type'] && m['@odata.type'] !== '#microsoft.graph.message' ? { itemType: m['@odata.type'].replace('#microsoft.graph.', '') } : {}),
      }));
      const next = page['@odata.nextLink'];
      const delta = page['@odata.deltaLink'];
      return { items, next: next ? CURSOR_V + next : null, deltaCursor: delta ? CURSOR_V + delta : null };
    },

    async readMessage(accountId, messageId) {
      const res = await graph.get({ path: `/users/${accountId}/messages/${encodeURIComponent(messageId)}/$value`, permission: 'Mail.Read', budgets: mailboxBudget(accountId) });
      return res!.body;
    },
  };
  return source;
}

export { CONTINUITY_PERMISSIONS };
