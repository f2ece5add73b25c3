import type { MailFolder, MessageRef } from '../connectors/sdk/index.js';

/**
 * How an Outlook folder and a message's state become Gmail labels.
 * - Top-level well-known folders map to Gmail's system labels (Inbox → INBOX, Sent Items →
 *   SENT, Deleted Items → TRASH, Junk Email → SPAM), so mail lands where users look for it.
 * - Every other folder becomes a user label named by its path ('Projects/Apollo'); nesting
 *   uses '/', which Gmail shows as nested labels.
 * - A path segment that Gmail reserves (e.g. 'Inbox' as the parent of 'Inbox/Projects', or
 *   'Drafts') gets ' (Outlook)' appended: Gmail refuses user labels with system names
 *   (409 "Label name exists or conflicts").
 * - Unread → UNREAD, flagged → STARRED, high importance → IMPORTANT.
 */
const SYSTEM_FOR_WELL_KNOWN: Readonly<Record<string, string>> = {
  inbox: 'INBOX',
  sentitems: 'SENT',
  deleteditems: 'TRASH',
  junkemail: 'SPAM',
};

/** Names Gmail reserves for system labels, compared case-insensitively. */
const RESERVED = new Set(['inbox', 'spam', 'trash', 'unread', 'starred', 'important', 'sent', 'draft', 'drafts', 'chat', 'chats', 'snoozed', 'scheduled', 'all mail', 'outbox']);

/** Characters Gmail does not accept in a label name segment; replaced by '-'. */
const INVALID = /[\u0000-\u001f"\\]/g;

export interface FolderLabelPlan {
  /** System label ids to apply directly. */
  readonly systemLabelIds: readonly string[];
  /** A user label name to ensure (nested with '/'), or null. */
  readonly userLabel: string | null;
}

export function planFolderLabels(folder: Pick<MailFolder, 'path' | 'wellKnownName' | 'parentFolderId'>): FolderLabelPlan {
  const isTopLevel = folder.path.length <= 1;
  const system = folder.wellKnownName ? SYSTEM_FOR_WELL_KNOWN[folder.wellKnownName] : undefined;
  if (isTopLevel && system) return { systemLabelIds: [system], userLabel: null };
  const segments = folder.path.map(cleanSegment).filter((s) => s.length > 0);
  if (segments.length === 0) return { systemLabelIds: [], userLabel: 'Outlook folder' };
  return { systemLabelIds: [], userLabel: segments.join('/') };
}

export function cleanSegment(segment: string): string {
  const s = segment.replace(INVALID, '-').replace(/\//g, '-').trim().replace(/\s+/g, ' ');
  if (RESERVED.has(s.toLowerCase())) return `${s} (Outlook)`;
  return s.slice(0, 225);
}

/** Label ids for one message: its folder's labels plus its state. */
export function messageLabelIds(folderLabelIds: readonly string[], msg: Pick<MessageRef, 'isRead' | 'flagged' | 'importance' | 'isDraft'>): string[] {
  const ids = new Set(folderLabelIds);
  if (!msg.isRead && !msg.isDraft) ids.add('UNREAD');
  if (msg.flagged) ids.add('STARRED');
  if (msg.importance === 'high') ids.add('IMPORTANT');
  return [...ids];
}
