import type { StoredError } from '../../errors/index.js';
import type { HttpClient } from './http.js';
import type { MailboxChangeReader, MailboxWriter } from './recovery.js';

/**
 * The connector interface. A connector is data plus plain functions (after Baton's model):
 * `create(ctx, config)` returns an instance offering what the provider can do. One page per
 * call; the engine loops, checkpoints and paces. All I/O goes through `ctx.http`.
 * Vendor words (Graph, Gmail) stay inside the connector; this file speaks connection,
 * account, mailbox, folder, item.
 */
export interface ConnectorContext {
  readonly http: HttpClient;
  /** Wall clock; injectable for tests. */
  readonly now: () => Date;
}

/** One prerequisite the doctor checks (token, a permission, an API, …). */
export interface CheckResult {
  /** Stable id, e.g. 'token', 'permission:Mail.Read', 'api:gmail'. */
  readonly id: string;
  /** What was checked, for an admin: 'Sign in to Entra ID with the certificate'. */
  readonly label: string;
  readonly status: 'pass' | 'fail' | 'warning' | 'skipped';
  readonly error?: StoredError;
  readonly detail?: string;
}

/** One page of a listing. `next` continues this pass; `deltaCursor` arrives with the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque cursor for the next page of this pass; null on the last page. */
  readonly next: string | null;
  /** Opaque cursor to ask for changes since this pass; set on the last page when supported. */
  readonly deltaCursor: string | null;
}

// ── Mail source (Microsoft 365) ──

export interface SourceAccount {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly mail: string | null;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly accountEnabled: boolean;
  /**
   * Directory attributes a selection rule may test (department, jobTitle, officeLocation,
   * companyName, country, city, employeeType, usageLocation); absent ones are null.
   */
  readonly attributes?: Readonly<Record<string, string | null>>;
}

/** A group an account belongs to (directly or through nested groups). */
export interface SourceGroup {
  readonly id: string;
  readonly displayName: string;
}

/** A message's identity and date only (reconciliation listings). */
export interface MessageStub {
  readonly id: string;
  readonly internetMessageId: string | null;
  readonly receivedDateTime: string | null;
}

export type WellKnownFolder = 'inbox' | 'sentitems' | 'drafts' | 'deleteditems' | 'junkemail' | 'archive' | 'outbox';

export interface MailFolder {
  readonly id: string;
  readonly displayName: string;
  readonly parentFolderId: string | null;
  /** Display names from the top-level folder down to this one, e.g. ['Inbox', 'Projects', 'Apollo']. */
  readonly path: readonly string[];
  readonly wellKnownName: WellKnownFolder | null;
  readonly totalItemCount: number | null;
}

/** A message as listed (no body). `removed` marks a deletion seen in a delta round. */
export interface MessageRef {
  readonly id: string;
  readonly removed: boolean;
  readonly internetMessageId: string | null;
  readonly subject: string | null;
  readonly receivedDateTime: string | null;
  readonly isRead: boolean;
  readonly isDraft: boolean;
  readonly flagged: boolean;
  readonly importance: 'low' | 'normal' | 'high';
  readonly categories: readonly string[];
  /** Size in bytes when the provider tells it. */
  readonly size: number | null;
  /** Set when the item is not an email message (e.g. 'eventMessageRequest', a calendar invitation). */
  readonly itemType?: string;
}

export interface ListMessagesOptions {
  /** Only messages received at or after this time (initial window). Ignored when resuming a cursor. */
  readonly since?: Date;
  readonly pageSize?: number;
}

export interface MailSource {
  checks(): Promise<CheckResult[]>;
  listAccounts(cursor: string | null): Promise<Page<SourceAccount>>;
  /** The account by id or UPN, or null when it does not exist. */
  getAccount(idOrUpn: string): Promise<SourceAccount | null>;
  /**
   * Every mail folder of the mailbox, nested ones included, parents before children.
   * `wellKnown` (folder id → well-known name, from an earlier listing) saves looking them up again.
   */
  listFolders(accountId: string, opts?: { readonly wellKnown?: ReadonlyMap<string, WellKnownFolder> }): Promise<MailFolder[]>;
  /**
   * One page of a folder's messages. cursor null starts a full pass (within opts.since);
   * a deltaCursor from an earlier pass returns only changes. Throws AppError
   * 'sync.delta_expired' when the provider expired the cursor: start again with null.
   */
  listMessages(accountId: string, folderId: string, cursor: string | null, opts?: ListMessagesOptions): Promise<Page<MessageRef>>;
  /** The message as RFC 822 bytes (MIME). */
  readMessage(accountId: string, messageId: string): Promise<Uint8Array>;
  /** One message as listed (state, folder), or null when it no longer exists. */
  getMessage(accountId: string, messageId: string): Promise<(MessageRef & { readonly folderId: string }) | null>;
  /** The groups the account belongs to, nested memberships included. */
  memberOf(accountId: string): Promise<SourceGroup[]>;
  /** One page of a folder's messages received at or after `since` (identity and date only). */
  listFolderStubs(accountId: string, folderId: string, since: Date, cursor: string | null): Promise<Page<MessageStub>>;
  /** Writing mail back into the mailbox (reverse recovery, connectors/sdk/recovery.ts); absent when the provider cannot. */
  readonly writer?: MailboxWriter;
}

// ── Mail destination (Google Workspace) ──

export interface DestinationAccount {
  readonly id: string;
  readonly primaryEmail: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly suspended: boolean;
  readonly creationTime: string | null;
}

export interface NewDestinationAccount {
  readonly primaryEmail: string;
  readonly givenName: string;
  readonly familyName: string;
}

export interface Label {
  readonly id: string;
  readonly name: string;
  readonly type: 'system' | 'user';
}

export interface ImportOptions {
  /** Destination label ids to apply (system ids like 'INBOX', 'UNREAD', 'STARRED' included). */
  readonly labelIds: readonly string[];
}

export interface MailDestination {
  checks(): Promise<CheckResult[]>;
  /** One page of the destination's accounts (a policy preview tells which would be created). */
  listAccounts(cursor: string | null, opts?: { pageSize?: number }): Promise<Page<DestinationAccount>>;
  /**
   * Resolves when the account's mailbox accepts calls; throws 'google.user_not_ready' while a
   * just-created account is still being set up.
   */
  mailboxReady(email: string): Promise<void>;
  /** Deletes the account (it was created by Syncwarden and its user left the policy). False when already gone. */
  deleteAccount(email: string): Promise<boolean>;
  /** The account, or null when it does not exist. */
  getAccount(email: string): Promise<DestinationAccount | null>;
  /** Creates the account; if it already exists (409) returns the existing one. */
  createAccount(input: NewDestinationAccount): Promise<{ account: DestinationAccount; created: boolean }>;
  listLabels(email: string): Promise<Label[]>;
  /**
   * Returns the user label with this (nested, '/'-separated) name, creating it when missing.
   * A segment the destination refuses as a reserved name is replaced by `safeSegment(segment)`
   * (once); the label returned then carries the name actually used. `known`: the mailbox's
   * labels as listed, shared by several calls so that they list them once, not each; the
   * labels a call makes (parents included) or lists again are added to it.
   */
  ensureLabel(email: string, name: string, opts?: { readonly safeSegment?: (segment: string) => string; readonly known?: Label[] }): Promise<Label>;
  /** Imports one RFC 822 message; returns the destination message id. */
  importMessage(email: string, raw: Uint8Array, opts: ImportOptions): Promise<{ id: string }>;
  /** Destination id of the message with this RFC 822 Message-ID, or null (resolves items in doubt). */
  findByMessageId(email: string, rfc822MessageId: string): Promise<string | null>;
  /** Every destination message with this RFC 822 Message-ID (trash and spam included). */
  findAllByMessageId(email: string, rfc822MessageId: string): Promise<string[]>;
  /** Adds and removes labels on a message (system ids such as 'UNREAD' and 'STARRED' included); false when it no longer exists. */
  modifyLabels(email: string, messageId: string, add: readonly string[], remove: readonly string[]): Promise<boolean>;
  /** Moves the message to Trash; false when it no longer exists. */
  trash(email: string, messageId: string): Promise<boolean>;
  /** Takes the message out of Trash; false when it no longer exists. */
  untrash(email: string, messageId: string): Promise<boolean>;
  /** Stores an unsent message as a draft; returns the draft's and its message's ids. */
  createDraft(email: string, raw: Uint8Array): Promise<{ draftId: string; messageId: string }>;
  /** Replaces a draft's content (the user edited it at the source). */
  updateDraft(email: string, draftId: string, raw: Uint8Array): Promise<{ draftId: string; messageId: string }>;
  /** The draft holding this RFC 822 Message-ID, or null (resolves drafts in doubt). */
  findDraft(email: string, rfc822MessageId: string): Promise<{ draftId: string; messageId: string } | null>;
  /** Deletes a draft (it was sent at the source); false when already gone. */
  deleteDraft(email: string, draftId: string): Promise<boolean>;
  /** The RFC 822 Message-ID of a destination message ('<…>'), or null when it is gone or has none; exact at once (no search index). */
  messageIdOf(email: string, messageId: string): Promise<string | null>;
  /** The draft whose message is `messageId`, or null. */
  draftOfMessage(email: string, messageId: string): Promise<string | null>;
  /** One page of the ids of messages carrying `labelId` (reconciliation). */
  listMessageIds(email: string, labelId: string, cursor: string | null): Promise<Page<string>>;
  /** The mailbox's own changes (reverse recovery, connectors/sdk/recovery.ts); absent when the provider cannot tell them. */
  readonly changes?: MailboxChangeReader;
}

/** Connector descriptor: data plus a factory. */
export interface ConnectorDefinition<Config, Instance> {
  readonly id: string;
  readonly displayName: string;
  readonly authMethods: readonly string[];
  readonly capabilities: readonly ('mail_source' | 'mail_destination' | 'directory' | 'write_back')[];
  create(ctx: ConnectorContext, config: Config): Instance;
}

export function defineConnector<Config, Instance>(def: ConnectorDefinition<Config, Instance>): ConnectorDefinition<Config, Instance> {
  return def;
}
