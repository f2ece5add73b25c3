/**
 * Folder checkpoints are the source's opaque cursor with a format version in front, so a
 * future format can be told apart. An unknown version reads as "no cursor": the folder is
 * re-read from the start, and the item ledger keeps that from importing anything twice.
 */
const VERSION = 'c1:';

export function encodeCursor(cursor: string | null): string | null {
  return cursor === null ? null : VERSION + cursor;
}

export function decodeCursor(stored: string | null): string | null {
  if (stored === null || !stored.startsWith(VERSION)) return null;
  return stored.slice(VERSION.length);
}
