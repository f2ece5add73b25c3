import type { Label } from './world.js';

/**
 * Gmail's system labels as labels.list returns them: the id doubles as the name.
 * https://developers.google.com/workspace/gmail/api/guides/labels
 */
const SYSTEM_IDS = [
  'CHAT', 'SENT', 'INBOX', 'IMPORTANT', 'TRASH', 'DRAFT', 'SPAM',
  'CATEGORY_FORUMS', 'CATEGORY_UPDATES', 'CATEGORY_PERSONAL', 'CATEGORY_PROMOTIONS', 'CATEGORY_SOCIAL',
  'STARRED', 'UNREAD',
] as const;

/** Names Gmail refuses for user labels (409 "Label name exists or conflicts"), compared case-insensitively. */
const RESERVED_NAMES = ['inbox', 'sent', 'sent mail', 'draft', 'drafts', 'trash', 'spam', 'starred', 'unread', 'important', 'chat', 'chats', 'all mail', 'snoozed', 'scheduled', 'outbox'];

export function systemLabels(): Label[] {
  return SYSTEM_IDS.map((id) => ({ id, name: id, type: 'system' as const }));
}

export function isReservedLabelName(name: string): boolean {
  const n = name.trim().toLowerCase();
  return RESERVED_NAMES.includes(n) || SYSTEM_IDS.some((id) => id.toLowerCase() === n);
}

/**
 * Gmail rejects empty names, empty '/' segments, names over 225 characters and control
 * characters with 400 "Invalid label name".
 */
export function isValidLabelName(name: string): boolean {
  if (name.trim() === '' || name.length > 225) return false;
  if (/[\u0000-\u001f\u007f]/.test(name)) return false;
  return name.split('/').every((seg) => seg.trim() !== '');
}
