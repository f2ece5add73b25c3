import type { MailFolder, MessageRef } from '../connectors/sdk/index.js';

/**
 * How an Outlook folder and a message's state become Gmail labels.
 * - Top-level well-known folders map to Gmail's system labels (Inbox → INBOX, Sent Items →
 *   SENT, Deleted Items → TRASH, Junk Email → SPAM), so mail lands where users look for it.
 *   Drafts are not a label: an Outlook draft becomes a Gmail draft.
 * - Every other folder becomes a user label named by its path ('Projects/Apollo'); nesting
 *   uses '/', which Gmail shows as nested labels.
 * - A path segment that Gmail reserves gets ' (Outlook)' appended: Gmail refuses user labels
 *   named like a system label, one of its own names (Drafts, Trash, Muted, archive…) or a
 *   localized form of one ("Enviado", "Da leggere"…) with 400 "Invalid label name". The list
 *   below spares a round trip for the common ones; Gmail's own list is longer and
 *   unpublished, so a segment it refuses anyway is renamed the same way when it answers
 *   (`safeLabelSegment`, passed to the destination's ensureLabel). Characters Gmail rejects become '-', and a '/' inside a folder
 *   name too (it would nest). Two folders that end up with the same label name (Gmail
 *   compares case-insensitively) are told apart with ' (2)', ' (3)', …
 * - Unread → UNREAD, flagged → STARRED, high importance → IMPORTANT, and each Outlook
 *   category → a label under one parent, 'Outlook categories/<name>'.
 */
const SYSTEM_FOR_WELL_KNOWN: Readonly<Record<string, string>> = {
  inbox: 'INBOX',
  sentitems: 'SENT',
  deleteditems: 'TRASH',
  junkemail: 'SPAM',
};

/**
 * Names Gmail refuses for user labels, compared case-insensitively: system labels, Gmail's own
 * names and their localized forms in common interface languages
 * (shared/reference/providers.md §3.7).
 */
const RESERVED = new Set([
  'inbox', 'spam', 'trash', 'bin', 'unread', 'starred', 'important', 'sent', 'sent mail', 'draft', 'drafts', 'chat', 'chats',
  'snoozed', 'scheduled', 'all mail', 'outbox', 'muted', 'archive',
  'category_forums', 'category_updates', 'category_personal', 'category_promotions', 'category_social',
  // Spanish, Portuguese
  'recibidos', 'enviado', 'enviados', 'borradores', 'papelera', 'destacados', 'importantes', 'pospuestos', 'programados',
  'todos', 'caixa de entrada', 'rascunhos', 'lixeira', 'com estrela', 'todos os e-mails',
  // French
  'boîte de réception', 'messages envoyés', 'envoyés', 'brouillons', 'corbeille', 'suivis', 'importants', 'tous les messages',
  // German
  'posteingang', 'gesendet', 'entwürfe', 'papierkorb', 'markiert', 'wichtig', 'alle nachrichten',
  // Italian, Dutch
  'posta in arrivo', 'posta inviata', 'bozze', 'cestino', 'speciali', 'importanti', 'da leggere', 'tutti i messaggi',
  'postvak in', 'verzonden', 'concepten', 'prullenbak',
]);

/** The safe form of a label segment Gmail refused as reserved: the same text, marked as Outlook's. */
export function safeLabelSegment(segment: string): string {
  return `${segment} (Outlook)`;
}

/** Characters Gmail does not accept in a label name segment; replaced by '-'. */
const INVALID = /[\u0000-\u001f\u007f"\\]/g;

/** Gmail's limit on a label name, nesting included. */
export const MAX_LABEL_LENGTH = 225;

/** Labels Gmail does not let an API add or remove with messages.modify. */
export const UNMODIFIABLE = new Set(['SENT', 'DRAFT']);

export const CATEGORY_PARENT = 'Outlook categories';

export interface FolderLabelPlan {
  /** System label ids to apply directly. */
  readonly systemLabelIds: readonly string[];
  /** A user label name to ensure (nested with '/'), or null. */
  readonly userLabel: string | null;
}

export function planFolderLabels(folder: Pick<MailFolder, 'path' | 'wellKnownName' | 'parentFolderId'>): FolderLabelPlan {
  const isTopLevel = folder.path.length <= 1;
  if (isTopLevel && folder.wellKnownName === 'drafts') return { systemLabelIds: [], userLabel: null };
  const system = folder.wellKnownName ? SYSTEM_FOR_WELL_KNOWN[folder.wellKnownName] : undefined;
  if (isTopLevel && system) return { systemLabelIds: [system], userLabel: null };
  const segments = folder.path.map(cleanSegment).filter((s) => s.length > 0);
  if (segments.length === 0) return { systemLabelIds: [], userLabel: 'Outlook folder' };
  return { systemLabelIds: [], userLabel: fitLength(segments.join('/')) };
}

export function cleanSegment(segment: string): string {
  const s = segment.replace(INVALID, '-').replace(/\//g, '-').trim().replace(/\s+/g, ' ');
  if (RESERVED.has(s.toLowerCase())) return safeLabelSegment(s);
  return s.slice(0, MAX_LABEL_LENGTH);
}

function fitLength(name: string): string {
  if (name.length <= MAX_LABEL_LENGTH) return name;
  // Keep the deepest segments readable; cut from the front at a segment boundary if possible.
  const cut = name.slice(name.length - MAX_LABEL_LENGTH);
  const slash = cut.indexOf('/');
  return (slash > 0 && slash < 40 ? cut.slice(slash + 1) : cut).replace(/^\/+/, '');
}

/**
 * A label name no other folder of the user has taken (case-insensitively): 'Team', then
 * 'Team (2)', 'Team (3)', …  `taken` holds lower-cased names and is updated.
 */
export function uniqueLabelName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = fitLength(`${name} (${n})`);
  taken.add(candidate.toLowerCase());
  return candidate;
}

export function categoryLabelName(category: string): string {
  const seg = cleanSegment(category) || 'Category';
  return fitLength(`${CATEGORY_PARENT}/${seg}`);
}

/** Label ids for one message: its folder's labels, its state, and its categories' labels. */
export function messageLabelIds(
  folderLabelIds: readonly string[],
  msg: Pick<MessageRef, 'isRead' | 'flagged' | 'importance' | 'isDraft'>,
  categoryLabelIds: readonly string[] = [],
): string[] {
  const ids = new Set(folderLabelIds);
  if (!msg.isRead && !msg.isDraft) ids.add('UNREAD');
  if (msg.flagged) ids.add('STARRED');
  if (msg.importance === 'high') ids.add('IMPORTANT');
  for (const c of categoryLabelIds) ids.add(c);
  return [...ids].sort();
}

/**
 * What to change at the destination to go from `current` to `desired` labels. TRASH moves
 * through trash/untrash (a message in Trash is deleted after 30 days, so it is its own
 * operation); SENT and DRAFT are left alone because Gmail does not let an API change them.
 */
export function labelDiff(current: readonly string[], desired: readonly string[]): { add: string[]; remove: string[]; trash: boolean; untrash: boolean } {
  const cur = new Set(current);
  const want = new Set(desired);
  const add = [...want].filter((l) => !cur.has(l) && l !== 'TRASH' && !UNMODIFIABLE.has(l)).sort();
  const remove = [...cur].filter((l) => !want.has(l) && l !== 'TRASH' && !UNMODIFIABLE.has(l)).sort();
  return { add, remove, trash: want.has('TRASH') && !cur.has('TRASH'), untrash: cur.has('TRASH') && !want.has('TRASH') };
}
