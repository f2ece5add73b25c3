import type { Page } from './types.js';

/**
 * Reverse recovery: during an outage of the source, users work in the destination mailbox;
 * afterwards the mail that reached or left it is written back to the source. Two halves, each
 * offered by the connector that speaks the provider:
 * - the destination's mailbox read as a change history (`MailboxChangeReader`, Google);
 * - the source's mailbox written as received or sent mail (`MailboxWriter`, Microsoft 365).
 * Vendor words stay inside the connectors: a "change marker" is Gmail's historyId, a
 * "folder" is a Gmail label on one side and an Outlook folder on the other.
 */

/** Where a message sits in the destination mailbox, in neutral words. */
export interface MailboxPlacement {
  readonly inbox: boolean;
  readonly sent: boolean;
  readonly spam: boolean;
  readonly trash: boolean;
  readonly draft: boolean;
  /** A chat transcript or other non-mail item. */
  readonly chat: boolean;
  readonly read: boolean;
  readonly starred: boolean;
  readonly important: boolean;
  /** The user's own folders/labels by name ('Projects/Apollo'). */
  readonly userFolders: readonly string[];
}

export interface MailboxMessage {
  readonly id: string;
  readonly raw: Uint8Array;
  readonly placement: MailboxPlacement;
  /** When the mailbox received (or recorded sending) it, ISO. */
  readonly receivedAt: string;
}

export interface MailboxChangeReader {
  /** The mailbox's current change marker: changes after it are listed by `listAddedSince`. */
  changeMarker(email: string): Promise<string>;
  /**
   * One page of the ids of messages added after `marker`. Throws AppError
   * 'recovery.history_expired' when the provider no longer keeps changes that old.
   */
  listAddedSince(email: string, marker: string, cursor: string | null): Promise<Page<string>>;
  /** One page of the ids of messages dated at or after `since` (every folder but spam and trash). */
  listSince(email: string, since: Date, cursor: string | null): Promise<Page<string>>;
  /** The message with where it sits, or null when it no longer exists. */
  readMessage(email: string, id: string): Promise<MailboxMessage | null>;
}

/** Where a recovered message goes in the source mailbox. */
export type FolderTarget = { readonly wellKnown: 'inbox' | 'sentitems' | 'junkemail' | 'archive' } | { readonly path: readonly string[] };

export interface WrittenMessage {
  readonly id: string;
  readonly folderId: string;
  /** True when the provider stored it as a draft (it must not: recovery fails the item). */
  readonly isDraft: boolean;
}

export interface WriteOptions {
  readonly read: boolean;
  readonly flagged: boolean;
  /** When the mailbox received it (the destination's date), ISO. */
  readonly receivedAt: string;
  /** Sent by the mailbox's owner (Sent Items) rather than received. */
  readonly sent: boolean;
  readonly important?: boolean;
  /** Outlook categories to set. */
  readonly categories?: readonly string[];
}

export interface MailboxWriter {
  /** The folder's id, creating user folders (and their parents) when missing. */
  ensureFolder(accountId: string, target: FolderTarget): Promise<string>;
  /** Messages in the mailbox carrying this RFC 5322 Message-ID (any folder). */
  findByMessageId(accountId: string, internetMessageId: string): Promise<WrittenMessage[]>;
  /**
   * Writes the RFC 822 message into the folder as received or sent mail (never a draft), with
   * its attachments. Throws item-scoped AppErrors for what the provider cannot hold.
   */
  writeMessage(accountId: string, folderId: string, raw: Uint8Array, opts: WriteOptions): Promise<WrittenMessage>;
  /**
   * Finishes a message an interrupted write left behind (found by Message-ID): uploads the
   * attachments it lacks. Idempotent.
   */
  completeMessage(accountId: string, messageId: string, raw: Uint8Array): Promise<void>;
}
