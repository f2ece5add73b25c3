import type { Runtime } from '../runtime/context.js';
import type { MailDestination, MailSource, MessageRef } from '../connectors/sdk/index.js';
import type { SyncFolderRow, SyncUserRow } from '../store/sync-repo.js';
import { updateSyncUser } from '../store/sync-repo.js';
import { fromJson } from '../store/json.js';
import { nowIso } from '../model/ids.js';
import type { PolicyView } from './policies.js';
import type { Ledger } from './ledger.js';
import type { InDoubtFinder } from './in-doubt.js';
import { categoryLabelName, messageLabelIds, safeLabelSegment } from './labels.js';

/** Everything one run of one user's mailbox sync works with. */
export interface UserSync {
  readonly rt: Runtime;
  readonly tenantId: string;
  readonly user: SyncUserRow;
  readonly policy: PolicyView;
  readonly source: MailSource;
  readonly dest: MailDestination;
  /** The source account (object id). */
  readonly accountId: string;
  /** The destination mailbox. */
  readonly email: string;
  /** Items received before this were outside the initial window (and are not imported). */
  readonly windowStart: Date;
  /** Items in flight at once (the source mailbox's concurrent budget). */
  readonly width: number;
  readonly ledger: Ledger;
  /** Folders being synced, by source folder id. */
  readonly folders: Map<string, FolderState>;
  readonly categories: CategoryLabels;
  /** Marks taken before writes, and the search for items left in doubt (in-doubt.ts). */
  readonly inDoubt: InDoubtFinder;
  /** True once the run should stop starting work (lease lost, stopping, or its time slice used up). */
  stop(): boolean;
}

export interface FolderState {
  row: SyncFolderRow;
  readonly labelIds: readonly string[];
}

/** Folders whose mail is not part of the mailbox's history. */
export function isIgnoredFolder(row: Pick<SyncFolderRow, 'well_known' | 'phase'>): boolean {
  return row.well_known === 'outbox' || row.phase === 'ignored';
}

/**
 * Outlook category → destination label id, created on first sight and remembered on the
 * user (one label list read per new category, never per message).
 */
export interface CategoryLabels {
  idsFor(names: readonly string[]): Promise<string[]>;
  /** Saves newly created mappings on the user row. */
  persist(): Promise<void>;
}

export function categoryLabels(rt: Runtime, tenantId: string, user: SyncUserRow, dest: MailDestination): CategoryLabels {
  const known = new Map(Object.entries(fromJson<Record<string, string>>(user.category_labels_json, {})));
  const inFlight = new Map<string, Promise<string>>();
  let dirty = false;
  const one = (name: string): Promise<string> => {
    const hit = known.get(name);
    if (hit) return Promise.resolve(hit);
    let p = inFlight.get(name);
    if (!p) {
      p = dest.ensureLabel(user.destination_email, categoryLabelName(name), { safeSegment: safeLabelSegment }).then((l) => {
        known.set(name, l.id);
        dirty = true;
        return l.id;
      });
      inFlight.set(name, p);
      p.catch(() => inFlight.delete(name));
    }
    return p;
  };
  return {
    idsFor: (names) => Promise.all(names.map(one)),
    async persist() {
      if (!dirty) return;
      dirty = false;
      await updateSyncUser(rt.store.db, tenantId, user.id, { category_labels_json: JSON.stringify(Object.fromEntries(known)), updated_at: nowIso(rt.now()) });
    },
  };
}

/** The labels a message should carry at the destination. */
export async function desiredLabels(s: UserSync, folder: FolderState, ref: MessageRef): Promise<string[]> {
  if (ref.isDraft) return [];
  return messageLabelIds(folder.labelIds, ref, await s.categories.idsFor(ref.categories));
}
