import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors/index.js';
import type { ConnectorContext, DestinationAccount, Label, MailDestination, NewDestinationAccount, Page } from '../sdk/index.js';
import { projectOfServiceAccount, resolveEndpoints, type GoogleConnectorConfig } from './config.js';
import { runChecks } from './checks.js';
import type { GoogleDeps } from './deps.js';
import { getUser, insertUser, listUsers, type DirectoryUser } from './directory.js';
import { createLabel, deleteDraft, draftOfMessage, findAllByRfc822Id, findByRfc822Id, findDraftByRfc822Id, importMessage, messageIdHeaderOf, listIdsByLabel, listLabels, modifyMessage, probeMailbox, saveDraft, trashMessage } from './gmail.js';
import { createTokenSource, UnknownSubjectError } from './token.js';
import { deleteDirectoryUser } from './directory-delete.js';
import { createGmailChangeReader } from './gmail-changes.js';

/** The Google Workspace destination: accounts through the Directory, mail through Gmail. */
export interface GoogleWorkspace extends MailDestination {
  /** One page of the Workspace's accounts (Directory, 500 per page at most). */
  listAccounts(cursor: string | null, opts?: { pageSize?: number }): Promise<Page<DestinationAccount>>;
}

export function createGoogleDestination(ctx: ConnectorContext, config: GoogleConnectorConfig): GoogleWorkspace {
  const endpoints = resolveEndpoints(config);
  const tokens = createTokenSource(ctx, config, endpoints);
  const deps: GoogleDeps = { ctx, config, endpoints, tokens, project: projectOfServiceAccount(config.serviceAccountEmail) };

  /** A mailbox user Google does not know yet: a just-created account, most likely. */
  async function asMailboxUser<T>(email: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof UnknownSubjectError) throw new AppError('google.user_not_ready', { email }, { cause: e });
      throw e;
    }
  }

  async function labels(email: string): Promise<Label[]> {
    return asMailboxUser(email, () => listLabels(deps, email));
  }

  return {
    checks: () => runChecks(deps),

    changes: createGmailChangeReader(deps),

    async getAccount(email) {
      const u = await getUser(deps, email);
      return u ? toAccount(u) : null;
    },

    async createAccount(input: NewDestinationAccount) {
      const created = await insertUser(deps, { ...input, password: strongPassword() });
      if (created) return { account: toAccount(created), created: true };
      const existing = await getUser(deps, input.primaryEmail);
      if (!existing) {
        // 409 with no user behind it: the address belongs to a group or is another user's alias.
        throw new AppError('google.user_create_failed', { email: input.primaryEmail, detail: 'the address is already used by a group or as an alias (409 Entity already exists)' });
      }
      return { account: toAccount(existing), created: false };
    },

    listLabels: labels,

    async ensureLabel(email, name, opts) {
      // A name made meanwhile by someone else answers 'conflict' below, and the list is read again.
      let all = opts?.known ? [...opts.known] : await labels(email);
      const system = all.find((l) => l.type === 'system' && (l.id.toLowerCase() === name.toLowerCase() || l.name.toLowerCase() === name.toLowerCase()));
      if (system) return system;
      const segments = name.split('/');
      const renamed = new Set<number>();
      // Gmail nests labels by name; create each missing ancestor first ('A', then 'A/B').
      for (let i = 1; i <= segments.length; i++) {
        const path = segments.slice(0, i).join('/');
        const last = i === segments.length;
        let found = byName(all, path);
        if (!found) {
          const made = await asMailboxUser(email, () => createLabel(deps, email, path));
          if (made === 'invalid') {
            // A name Gmail reserves (its list is longer than anyone's, and localized): the
            // caller's safe form of that segment, once; then the path goes on from there.
            const safe = renamed.has(i) ? undefined : opts?.safeSegment?.(segments[i - 1]!);
            if (safe === undefined || safe === segments[i - 1]) throw new AppError('item.rejected', { detail: `Gmail refused the label "${path}": Invalid label name` });
            segments[i - 1] = safe;
            renamed.add(i);
            i -= 1;
            continue;
          }
          if (made !== 'conflict') {
            found = made;
            all = [...all, made];
            opts?.known?.push(made);
          } else {
            // Someone (another worker) created it meanwhile, or the name collides with a system label.
            all = await labels(email);
            if (opts?.known) opts.known.splice(0, opts.known.length, ...all);
            found = byName(all, path);
            if (!found && last) throw new AppError('item.rejected', { detail: `Gmail refused the label "${path}": Label name exists or conflicts` });
          }
        }
        if (last && found) return found;
      }
      throw new AppError('item.rejected', { detail: `Gmail refused the label "${name}"` });
    },

    importMessage: (email, raw, opts) => asMailboxUser(email, () => importMessage(deps, email, raw, opts.labelIds)),

    findByMessageId: (email, id) => asMailboxUser(email, () => findByRfc822Id(deps, email, id)),

    findAllByMessageId: (email, id) => asMailboxUser(email, () => findAllByRfc822Id(deps, email, id)),

    mailboxReady: (email) => asMailboxUser(email, () => probeMailbox(deps, email)),

    deleteAccount: (email) => deleteDirectoryUser(deps, email),

    modifyLabels: (email, id, add, remove) => asMailboxUser(email, () => modifyMessage(deps, email, id, add, remove)),

    trash: (email, id) => asMailboxUser(email, () => trashMessage(deps, email, id)),

    untrash: (email, id) => asMailboxUser(email, () => trashMessage(deps, email, id, true)),

    createDraft: (email, raw) => asMailboxUser(email, () => saveDraft(deps, email, raw, null)),

    updateDraft: (email, draftId, raw) => asMailboxUser(email, () => saveDraft(deps, email, raw, draftId)),

    findDraft: (email, id) => asMailboxUser(email, () => findDraftByRfc822Id(deps, email, id)),

    deleteDraft: (email, draftId) => asMailboxUser(email, () => deleteDraft(deps, email, draftId)),

    messageIdOf: (email, id) => asMailboxUser(email, () => messageIdHeaderOf(deps, email, id)),

    draftOfMessage: (email, id) => asMailboxUser(email, () => draftOfMessage(deps, email, id)),

    async listMessageIds(email, labelId, cursor) {
      const page = await asMailboxUser(email, () => listIdsByLabel(deps, email, labelId, cursor));
      return { items: page.ids, next: page.next, deltaCursor: null };
    },

    async listAccounts(cursor, opts) {
      const page = await listUsers(deps, cursor, opts?.pageSize);
      return { items: page.users.map(toAccount), next: page.nextPageToken, deltaCursor: null };
    },
  };
}

function byName(labels: readonly Label[], name: string): Label | undefined {
  const n = name.toLowerCase();
  return labels.find((l) => l.name.toLowerCase() === n);
}

function toAccount(u: DirectoryUser): DestinationAccount {
  return {
    id: u.id,
    primaryEmail: u.primaryEmail,
    givenName: u.name?.givenName ?? null,
    familyName: u.name?.familyName ?? null,
    suspended: u.suspended === true,
    creationTime: u.creationTime ?? null,
  };
}

/** 24 random characters plus one of each class, well within Google's 8–100 character rule. */
function strongPassword(): string {
  return `${randomBytes(18).toString('base64url')}aZ7!`;
}
