import { describe, expect, it } from 'vitest';
import { categoryLabelName, cleanSegment, labelDiff, MAX_LABEL_LENGTH, messageLabelIds, planFolderLabels, uniqueLabelName } from './labels.js';

describe('folder to label mapping', () => {
  it('maps top-level well-known folders to system labels, and drafts to Gmail drafts', () => {
    expect(planFolderLabels({ path: ['Inbox'], wellKnownName: 'inbox', parentFolderId: null })).toEqual({ systemLabelIds: ['INBOX'], userLabel: null });
    expect(planFolderLabels({ path: ['Sent Items'], wellKnownName: 'sentitems', parentFolderId: null }).systemLabelIds).toEqual(['SENT']);
    expect(planFolderLabels({ path: ['Deleted Items'], wellKnownName: 'deleteditems', parentFolderId: null }).systemLabelIds).toEqual(['TRASH']);
    expect(planFolderLabels({ path: ['Junk Email'], wellKnownName: 'junkemail', parentFolderId: null }).systemLabelIds).toEqual(['SPAM']);
    expect(planFolderLabels({ path: ['Drafts'], wellKnownName: 'drafts', parentFolderId: null })).toEqual({ systemLabelIds: [], userLabel: null });
  });

  it('maps other folders to nested user labels and renames reserved names', () => {
    expect(planFolderLabels({ path: ['Inbox', 'Projects', 'Apollo'], wellKnownName: null, parentFolderId: 'x' })).toEqual({
      systemLabelIds: [],
      userLabel: 'Inbox (Outlook)/Projects/Apollo',
    });
    expect(planFolderLabels({ path: ['Archive', '2025'], wellKnownName: null, parentFolderId: 'a' }).userLabel).toBe('Archive (Outlook)/2025');
    expect(planFolderLabels({ path: ['Starred'], wellKnownName: null, parentFolderId: null }).userLabel).toBe('Starred (Outlook)');
    // Gmail's own names and localized system names are refused too (400 "Invalid label name").
    for (const name of ['Muted', 'Drafts', 'Trash', 'Enviado', 'Da leggere', 'Papierkorb']) {
      expect(planFolderLabels({ path: [name], wellKnownName: null, parentFolderId: null }).userLabel).toBe(`${name} (Outlook)`);
    }
  });

  it('cleans characters Gmail rejects, including a slash inside a folder name, and keeps names within 225 characters', () => {
    expect(cleanSegment('Q1/Q2 "plans"')).toBe('Q1-Q2 -plans-');
    expect(cleanSegment('  spaced   out ')).toBe('spaced out');
    expect(cleanSegment('tab\there')).toBe('tab-here');
    const deep = planFolderLabels({ path: Array.from({ length: 12 }, (_, i) => `Level ${i} ${'x'.repeat(20)}`), wellKnownName: null, parentFolderId: 'p' });
    expect(deep.userLabel!.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
    expect(deep.userLabel!.endsWith(`Level 11 ${'x'.repeat(20)}`)).toBe(true);
  });

  it('tells apart folders whose labels would collide (Gmail ignores case)', () => {
    const taken = new Set<string>();
    expect(uniqueLabelName('Team', taken)).toBe('Team');
    expect(uniqueLabelName('team', taken)).toBe('team (2)');
    expect(uniqueLabelName('TEAM', taken)).toBe('TEAM (3)');
  });

  it('puts categories under one parent label', () => {
    expect(categoryLabelName('Red category')).toBe('Outlook categories/Red category');
    expect(categoryLabelName('A/B')).toBe('Outlook categories/A-B');
  });

  it('adds state and category labels', () => {
    expect(messageLabelIds(['INBOX'], { isRead: false, flagged: true, importance: 'high', isDraft: false })).toEqual(['IMPORTANT', 'INBOX', 'STARRED', 'UNREAD']);
    expect(messageLabelIds(['Label_1'], { isRead: true, flagged: false, importance: 'normal', isDraft: false }, ['Label_9'])).toEqual(['Label_1', 'Label_9']);
  });

  it('computes label changes, moving to and from Trash as its own operation and leaving SENT alone', () => {
    expect(labelDiff(['INBOX', 'UNREAD'], ['INBOX'])).toEqual({ add: [], remove: ['UNREAD'], trash: false, untrash: false });
    expect(labelDiff(['INBOX'], ['Label_2', 'STARRED'])).toEqual({ add: ['Label_2', 'STARRED'], remove: ['INBOX'], trash: false, untrash: false });
    expect(labelDiff(['INBOX'], ['TRASH'])).toEqual({ add: [], remove: ['INBOX'], trash: true, untrash: false });
    expect(labelDiff(['TRASH'], ['INBOX'])).toEqual({ add: ['INBOX'], remove: [], trash: false, untrash: true });
    expect(labelDiff(['SENT'], ['Label_3'])).toEqual({ add: ['Label_3'], remove: [], trash: false, untrash: false });
  });
});
