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

/**
 * Names Gmail refuses for user labels with 400 "Invalid label name", compared
 * case-insensitively: the system labels, Gmail's own names (Drafts, Trash, Muted, archive…)
 * and their localized forms as Gmail shows them in its interface languages ("Enviado",
 * "Da leggere", …). shared/reference/providers.md §3.7 (GAM-team/got-your-back #95, #316,
 * #350, #442; gauteh/lieer #52, #109). Gmail's own list is longer and unpublished; this one
 * holds the common languages, which is enough for tests to meet the behaviour.
 */
const RESERVED_NAMES = [
  // English
  'inbox', 'sent', 'sent mail', 'draft', 'drafts', 'trash', 'bin', 'spam', 'starred', 'unread', 'important', 'chat', 'chats',
  'all mail', 'snoozed', 'scheduled', 'outbox', 'muted', 'archive',
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
];

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
