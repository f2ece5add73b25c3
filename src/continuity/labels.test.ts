import { describe, expect, it } from 'vitest';
import { cleanSegment, messageLabelIds, planFolderLabels } from './labels.js';

describe('folder to label mapping', () => {
  it('maps top-level well-known folders to system labels', () => {
    expect(planFolderLabels({ path: ['Inbox'], wellKnownName: 'inbox', parentFolderId: null })).toEqual({ systemLabelIds: ['INBOX'], userLabel: null });
    expect(planFolderLabels({ path: ['Sent Items'], wellKnownName: 'sentitems', parentFolderId: null }).systemLabelIds).toEqual(['SENT']);
    expect(planFolderLabels({ path: ['Deleted Items'], wellKnownName: 'deleteditems', parentFolderId: null }).systemLabelIds).toEqual(['TRASH']);
  });

  it('maps other folders to nested user labels and renames reserved names', () => {
    expect(planFolderLabels({ path: ['Inbox', 'Projects', 'Apollo'], wellKnownName: null, parentFolderId: 'x' })).toEqual({
      systemLabelIds: [],
      userLabel: 'Inbox (Outlook)/Projects/Apollo',
    });
    expect(planFolderLabels({ path: ['Drafts'], wellKnownName: 'drafts', parentFolderId: null }).userLabel).toBe('Drafts (Outlook)');
    expect(planFolderLabels({ path: ['Archive', '2025'], wellKnownName: null, parentFolderId: 'a' }).userLabel).toBe('Archive/2025');
  });

  it('cleans characters Gmail rejects, including a slash inside a folder name', () => {
    expect(cleanSegment('Q1/Q2 "plans"')).toBe('Q1-Q2 -plans-');
    expect(cleanSegment('  spaced   out ')).toBe('spaced out');
  });

  it('adds state labels', () => {
    expect(messageLabelIds(['INBOX'], { isRead: false, flagged: true, importance: 'high', isDraft: false }).sort()).toEqual(['IMPORTANT', 'INBOX', 'STARRED', 'UNREAD']);
    expect(messageLabelIds(['Label_1'], { isRead: true, flagged: false, importance: 'normal', isDraft: false })).toEqual(['Label_1']);
  });
});
