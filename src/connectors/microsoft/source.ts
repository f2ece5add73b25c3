import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { ConnectorContext, ListMessagesOptions, MailFolder, MailSource, MessageRef, MessageStub, Page, SourceAccount, SourceGroup, WellKnownFolder } from '../sdk/index.js';
import { CONTINUITY_PERMISSIONS, type MicrosoftConnectorConfig } from './config.js';
import { createGraphClient } from './graph-client.js';
import { createTokenSource } from './token.js';
import { microsoftChecks } from './checks.js';
import { createRecoveryWriter } from './recovery-writer.js';

const user = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  mail: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  givenName: z.string().nullable().optional(),
  surname: z.string().nullable().optional(),
  accountEnabled: z.boolean().optional(),
  department: z.string().nullable().optional(),
  jobTitle: z.string().nullable().optional(),
  officeLocation: z.string().nullable().optional(),
  companyName: z.string().nullable().optional(),
  country: z.string().nullable().optional(),
  city: z.string().nullable().optional(),
  employeeType: z.string().nullable().optional(),
  usageLocation: z.string().nullable().optional(),
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
  // Graph's message has no size property; the size is PidTagMessageSize (see SIZE_EXPAND).
  singleValueExtendedProperties: z.array(z.object({ id: z.string(), value: z.string().nullable().optional() })).optional(),
  parentFolderId: z.string().optional(),
});
const messagePage = z.object({ value: z.array(message), '@odata.nextLink': z.string().optional(), '@odata.deltaLink': z.string().optional() });

const memberPage = z.object({
  value: z.array(z.object({ '@odata.type': z.string().optional(), id: z.string(), displayName: z.string().nullable().optional() })),
  '@odata.nextLink': z.string().optional(),
});
const stubPage = z.object({
  value: z.array(z.object({ id: z.string(), internetMessageId: z.string().nullable().optional(), receivedDateTime: z.string().nullable().optional() })),
  '@odata.nextLink': z.string().optional(),
});

const WELL_KNOWN: readonly WellKnownFolder[] = ['inbox', 'sentitems', 'drafts', 'deleteditems', 'junkemail', 'archive', 'outbox'];
const MESSAGE_FIELDS = 'internetMessageId,subject,receivedDateTime,isRead,isDraft,importance,flag,categories';
/**
 * A message's size lives only in the MAPI property PidTagMessageSize (0x0E08, an integer),
 * asked for as an extended property; Graph answers its value as a string.
 * https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
 */
const SIZE_EXPAND = "singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')";

/** The size from PidTagMessageSize, or null when Graph did not give a usable one (the download is checked anyway). */
function sizeOf(props: readonly { id: string; value?: string | null | undefined }[] | undefined): number | null {
  const p = props?.find((x) => /^integer\s+0x0*e08$/i.test(x.id.trim()));
  if (!p || typeof p.value !== 'string' || !/^\d+$/.test(p.value.trim())) return null;
  const n = Number(p.value.trim());
  return Number.isSafeInteger(n) ? n : null;
}
/** Directory attributes a selection rule may test; they need $select (not default properties). */
export const ACCOUNT_ATTRIBUTES = ['department', 'jobTitle', 'officeLocation', 'companyName', 'country', 'city', 'employeeType', 'usageLocation'] as const;
const USER_FIELDS = ['id', 'userPrincipalName', 'mail', 'displayName', 'givenName', 'surname', 'accountEnabled', ...ACCOUNT_ATTRIBUTES].join(',');
/**
 * Immutable ids: an Outlook message keeps its id when it moves between folders, so a move is
 * one item changing folders rather than a deletion plus a new message.
 * https://learn.microsoft.com/graph/outlook-immutable-id
 */
const IMMUTABLE = 'IdType="ImmutableId"';
/** The application permission a policy's group rules need (to read group names of memberships). */
export const GROUP_RULES_PERMISSION = 'GroupMember.Read.All';
/** Persisted cursors carry a format version so their shape can evolve. */
const CURSOR_V = 'v1:';

/** Microsoft 365 as a continuity mail source, over Graph. */
export function createMicrosoftSource(ctx: ConnectorContext, config: MicrosoftConnectorConfig): MailSource {
  const tokens = createTokenSource(ctx.http, config, ctx.now);
  const graph = createGraphClient(ctx.http, config, tokens);
  // Outlook limits each app + mailbox to 10,000 requests per 10 minutes and 4 at once.
  const mailboxBudget = (userId: string) => [{ key: `source:mailbox:${config.tenantId}:${userId}`, cost: 1 }];

  function toAccount(u: z.infer<typeof user>): SourceAccount {
    return {
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      mail: u.mail ?? null,
      displayName: u.displayName ?? u.userPrincipalName,
      givenName: u.givenName ?? null,
      surname: u.surname ?? null,
      accountEnabled: u.accountEnabled ?? true,
      attributes: Object.fromEntries(ACCOUNT_ATTRIBUTES.map((a) => [a, u[a] ?? null])),
    };
  }

  function toRef(m: z.infer<typeof message>): MessageRef {
    return {
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
      size: sizeOf(m.singleValueExtendedProperties),
      // Calendar invitations and other non-mail items arrive as eventMessage types.
      ...(m['@odata.type'] && m['@odata.type'] !== '#microsoft.graph.message' ? { itemType: m['@odata.type'].replace('#microsoft.graph.', '') } : {}),
    };
  }

  /**
   * A 404 while reading mail: the user is gone (deleted, or disabled and unlicensed) or the
   * folder is. One lookup of the user tells which, so the admin sees the right reason.
   */
  async function notFound(accountId: string, folderId: string): Promise<AppError> {
    const account = await source.getAccount(accountId);
    if (!account) return new AppError('sync.user_not_found_in_source', { email: accountId });
    return new AppError('sync.folder_not_found', { folder: folderId });
  }

  const source: MailSource = {
    checks: () => microsoftChecks(config, tokens, graph, ctx),
    writer: createRecoveryWriter(ctx, config.tenantId, graph),

    async listAccounts(cursor) {
      const path = cursor ?? `/users?$top=999&$select=${USER_FIELDS}`;
      const page = (await graph.getJson({ path, permission: 'User.Read.All' }, userPage))!;
      return { items: page.value.map(toAccount), next: page['@odata.nextLink'] ?? null, deltaCursor: null };
    },

    async getAccount(idOrUpn) {
      const u = await graph.getJson(
        { path: `/users/${encodeURIComponent(idOrUpn)}?$select=${USER_FIELDS}`, permission: 'User.Read.All', notFoundIsNull: true },
        user,
      );
      return u ? toAccount(u) : null;
    },

    async listFolders(accountId, opts = {}) {
      const budgets = mailboxBudget(accountId);
      // Well-known folders are addressed by name; their ids tell which folder is which. Their
      // ids never change, so a caller that knows them saves seven requests.
      const wellKnownIds = new Map<string, WellKnownFolder>(opts.wellKnown ?? []);
      if (wellKnownIds.size === 0) {
        for (const wk of WELL_KNOWN) {
          const f = await graph.getJson({ path: `/users/${accountId}/mailFolders/${wk}`, permission: 'Mail.Read', budgets, notFoundIsNull: true }, folder);
          if (f) wellKnownIds.set(f.id, wk);
        }
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
      return out;
    },

    async listMessages(accountId, folderId, cursor, opts: ListMessagesOptions = {}): Promise<Page<MessageRef>> {
      let url: string;
      if (cursor) {
        if (!cursor.startsWith(CURSOR_V)) throw new AppError('sync.delta_expired', { what: 'a mail folder' });
        url = cursor.slice(CURSOR_V.length);
      } else {
        const q = new URLSearchParams({ $select: MESSAGE_FIELDS, $expand: SIZE_EXPAND });
        if (opts.since) q.set('$filter', `receivedDateTime ge ${opts.since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
        url = `/users/${accountId}/mailFolders/${folderId}/messages/delta?${q.toString().replace(/\+/g, '%20')}`;
      }
      const page = await graph.getJson(
        { path: url, permission: 'Mail.Read', budgets: mailboxBudget(accountId), headers: { prefer: `odata.maxpagesize=${opts.pageSize ?? 50}, ${IMMUTABLE}` }, notFoundIsNull: true },
        messagePage,
      );
      if (!page) throw await notFound(accountId, folderId);
      const items: MessageRef[] = page.value.map(toRef);
      const next = page['@odata.nextLink'];
      const delta = page['@odata.deltaLink'];
      return { items, next: next ? CURSOR_V + next : null, deltaCursor: delta ? CURSOR_V + delta : null };
    },

    async readMessage(accountId, messageId) {
      try {
        const res = await graph.get({ path: `/users/${accountId}/messages/${encodeURIComponent(messageId)}/$value`, permission: 'Mail.Read', budgets: mailboxBudget(accountId), headers: { prefer: IMMUTABLE }, notFoundIsNull: true, maxResponseBytes: 160 * 1024 * 1024 });
        return res!.body;
      } catch (e) {
        // Deleted between listing and download: an item-level outcome, not a failed user.
        if (e instanceof AppError && e.code === 'request.not_found') throw new AppError('item.deleted_at_source');
        throw e;
      }
    },

    async getMessage(accountId, messageId) {
      const m = await graph.getJson(
        {
          path: `/users/${accountId}/messages/${encodeURIComponent(messageId)}?${new URLSearchParams({ $select: `${MESSAGE_FIELDS},parentFolderId`, $expand: SIZE_EXPAND }).toString().replace(/\+/g, '%20')}`,
          permission: 'Mail.Read', budgets: mailboxBudget(accountId), headers: { prefer: IMMUTABLE }, notFoundIsNull: true,
        },
        message,
      );
      if (!m) return null;
      if (!m.parentFolderId) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: 'a message without parentFolderId' });
      return { ...toRef(m), folderId: m.parentFolderId };
    },

    async memberOf(accountId) {
      // Transitive: a user in a nested group is selected by a rule naming the outer group.
      // With User.Read.All alone Graph lists the groups but may return only their ids ("limited
      // information for inaccessible member objects"); naming groups by display name needs
      // GroupMember.Read.All; without it the call fails with m365.permission_missing naming it.
      // https://learn.microsoft.com/graph/api/user-list-transitivememberof
      const out: SourceGroup[] = [];
      let next: string | null = `/users/${encodeURIComponent(accountId)}/transitiveMemberOf?$select=id,displayName&$top=999`;
      while (next) {
        const page: z.infer<typeof memberPage> = (await graph.getJson({ path: next, permission: GROUP_RULES_PERMISSION }, memberPage))!;
        for (const o of page.value) {
          // Directory roles and administrative units come back too; only groups select users.
          if (o['@odata.type'] && o['@odata.type'] !== '#microsoft.graph.group') continue;
          out.push({ id: o.id, displayName: o.displayName ?? o.id });
        }
        next = page['@odata.nextLink'] ?? null;
      }
      return out;
    },

    async listFolderStubs(accountId, folderId, since, cursor): Promise<Page<MessageStub>> {
      let url: string;
      if (cursor) {
        if (!cursor.startsWith(CURSOR_V)) throw new AppError('request.invalid', { detail: 'unknown listing cursor' });
        url = cursor.slice(CURSOR_V.length);
      } else {
        const q = new URLSearchParams({ $select: 'id,internetMessageId,receivedDateTime', $top: '1000', $filter: `receivedDateTime ge ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}` });
        url = `/users/${accountId}/mailFolders/${folderId}/messages?${q.toString().replace(/\+/g, '%20')}`;
      }
      const page = (await graph.getJson({ path: url, permission: 'Mail.Read', budgets: mailboxBudget(accountId), headers: { prefer: IMMUTABLE } }, stubPage))!;
      const next = page['@odata.nextLink'];
      return {
        items: page.value.map((m) => ({ id: m.id, internetMessageId: m.internetMessageId ?? null, receivedDateTime: m.receivedDateTime ?? null })),
        next: next ? CURSOR_V + next : null,
        deltaCursor: null,
      };
    },
  };
  return source;
}

export { CONTINUITY_PERMISSIONS };
