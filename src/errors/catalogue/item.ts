import type { ErrorDefinition } from '../definition.js';

/** Item-level errors: one item fails, the user carries on. (Items (continuity-sync-issues, "Data discrepancies")) */
export const itemErrors = {
  'item.too_large': {
    title: 'Item too large',
    cause: 'The message is {size} bytes; Google Workspace accepts at most {limit} bytes per imported message.',
    resolution: 'No action needed for the rest of the mailbox. The item is listed in the user\'s items view; move it manually if it matters.',
    scope: 'item', kind: 'item', retry: 'never', http: 413,
    source: 'continuity-sync-issues',
  },
  'item.encrypted': {
    title: 'Encrypted item',
    cause: 'The message is encrypted (S/MIME or Microsoft Purview) and cannot be read for import.',
    resolution: 'No action needed for the rest of the mailbox. The user can open it in Outlook with their key.',
    scope: 'item', kind: 'item', retry: 'never', http: 422,
    source: 'continuity-sync-issues',
  },
  'item.unsupported_type': {
    title: 'Unsupported item type',
    cause: 'The item is a {type}, which Gmail cannot store as a message.',
    resolution: 'No action needed for the rest of the mailbox.',
    scope: 'item', kind: 'item', retry: 'never', http: 422,
    source: 'continuity-sync-issues',
  },
  'item.rejected': {
    title: 'Item rejected by Google',
    cause: 'Google Workspace refused to import the message: {detail}.',
    resolution: 'Use "Retry failed items" on the user; if it fails again, check the audit log entry for the item.',
    scope: 'item', kind: 'item', retry: 'next_cycle', http: 422,
    source: 'continuity-sync-issues',
  },
  'item.deleted_at_source': {
    title: 'Item deleted at the source',
    cause: 'The message was deleted in Microsoft 365 after it was listed and before it could be copied.',
    resolution: 'No action needed: the next cycle sees the deletion and the item leaves the list.',
    scope: 'item', kind: 'item', retry: 'next_cycle', http: 404,
  },
} as const satisfies Record<string, ErrorDefinition>;
