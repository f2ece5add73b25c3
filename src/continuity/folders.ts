import type { Label, MailFolder, WellKnownFolder } from '../connectors/sdk/index.js';
import { foldersOfUser, insertFolder, updateFolder, updateSyncUser, type SyncFolderRow } from '../store/sync-repo.js';
import { newId, nowIso } from '../model/ids.js';
import { fromJson, toJson } from '../store/json.js';
import { planFolderLabels, safeLabelSegment, uniqueLabelName } from './labels.js';
import { isIgnoredFolder, type FolderState, type UserSync } from './user-sync.js';
import { runPool } from '../engine/pool.js';

/**
 * How often the folder hierarchy is read again (new, renamed and deleted folders). Between
 * refreshes a cycle costs one source request per folder; a message moved into a folder not
 * yet known is found by the removal check and triggers a refresh at once.
 */
export const FOLDER_REFRESH_MS = 60 * 60_000;

/**
 * Reads the source's folder hierarchy and records each folder with the labels it maps to
 * (created at the destination when missing). Two folders whose label names collide get
 * distinct names; folders gone from the source are marked and no longer synced.
 */
export async function refreshFolders(s: Omit<UserSync, 'folders'>): Promise<void> {
  const { rt, tenantId, user } = s;
  const known = await foldersOfUser(rt.store.db, tenantId, user.id);
  const byId = new Map(known.map((f) => [f.source_folder_id, f]));
  const wellKnown = new Map<string, WellKnownFolder>(known.filter((f) => f.well_known).map((f) => [f.source_folder_id, f.well_known as WellKnownFolder]));
  const listed = await s.source.listFolders(s.accountId, wellKnown.size > 0 ? { wellKnown } : {});
  // Label names the user's folders already have: `taken` grows as new names are planned.
  const existingNames = known.map((f) => f.label_name?.toLowerCase()).filter((n): n is string => !!n);
  const taken = new Set(existingNames);
  const now = nowIso(rt.now());
  const fresh: MailFolder[] = [];
  for (const folder of listed) {
    const prior = byId.get(folder.id);
    if (!prior) {
      fresh.push(folder);
      continue;
    }
    if (prior.gone_at || prior.display_name !== folder.displayName || prior.path_json !== toJson(folder.path)) {
      // Renamed or back: the label keeps its name (renaming it would touch every message's label).
      await updateFolder(rt.store.db, tenantId, prior.id, { display_name: folder.displayName, path_json: toJson(folder.path), gone_at: null, updated_at: now });
    }
  }
  // New folders: their label names are chosen one after the other (each differs from those
  // before it), their labels made and their windows counted side by side. One after the other,
  // a first run waited for two Gmail calls per folder in a row, each for the shared budget's
  // next room when the project quota is in full use (about 3 s for a dozen folders).
  const named = fresh.map((folder): PlannedFolder => {
    const plan = planFolderLabels(folder);
    // Outbox holds mail not yet sent; it is not part of the mailbox's history.
    const ignored = folder.wellKnownName === 'outbox';
    const userLabel = !ignored && plan.userLabel ? plan.userLabel : null;
    return { folder, ignored, systemLabelIds: plan.systemLabelIds, userLabel, labelName: userLabel ? uniqueLabelName(userLabel, taken) : null };
  });
  // The mailbox's labels are listed once for them all (each label made costs 5 units, and a
  // list per folder 1 more: a new user's dozen folders are the largest use of the quota
  // after the imports while users are being set up).
  const labels = named.some((n) => n.labelName) ? await s.dest.listLabels(s.email) : [];
  // Folders under one top-level label share its parents ('Inbox (Outlook)' for every folder in
  // the Inbox): they are set up one after the other, each seeing what the one before made;
  // the groups side by side.
  const groups = new Map<string, number[]>();
  named.forEach((n, i) => {
    const root = n.labelName ? n.labelName.split('/')[0]!.toLowerCase() : `\u0000${i}`;
    groups.set(root, [...(groups.get(root) ?? []), i]);
  });
  const results: (Omit<SyncFolderRow, 'tenant_id'> | undefined)[] = new Array(named.length);
  const built = await runPool([...groups.values()], SETUP_WIDTH, () => false, async (group) => {
    for (const i of group) results[i] = await newFolderRow(s, named[i]!, now, labels);
  });
  if (built.failed) throw built.error;
  const used = new Set(existingNames);
  for (const [i, n] of named.entries()) {
    let row = results[i]!;
    // Gmail kept a reserved segment's safe form instead (rare): that name may be another new
    // folder's, so such a folder is set up again alone under a name nobody uses.
    for (let tries = 0; n.userLabel && row.label_name && used.has(row.label_name.toLowerCase()) && tries < 3; tries++) {
      for (const r of results) if (r?.label_name) taken.add(r.label_name.toLowerCase());
      row = await newFolderRow(s, { ...n, labelName: uniqueLabelName(n.userLabel, taken) }, now);
    }
    if (row.label_name) used.add(row.label_name.toLowerCase());
    await insertFolder(rt.store.db, tenantId, row);
  }
  const present = new Set(listed.map((f) => f.id));
  for (const f of known) {
    if (!present.has(f.source_folder_id) && !f.gone_at) await updateFolder(rt.store.db, tenantId, f.id, { gone_at: now, updated_at: now });
  }
  await updateSyncUser(rt.store.db, tenantId, user.id, { folders_listed_at: now, updated_at: now });
}

/** New folders set up at once (each: a label made or found, the initial window counted at the source). */
const SETUP_WIDTH = 4;

/** A new folder and the labels it was planned to map to (`labelName`: unique among the user's). */
interface PlannedFolder {
  folder: MailFolder;
  ignored: boolean;
  systemLabelIds: readonly string[];
  userLabel: string | null;
  labelName: string | null;
}

async function newFolderRow(s: Omit<UserSync, 'folders'>, planned: PlannedFolder, now: string, knownLabels?: Label[]): Promise<Omit<SyncFolderRow, 'tenant_id'>> {
  const { folder, ignored, labelName: plannedName } = planned;
  const labelIds = [...planned.systemLabelIds];
  let labelName: string | null = null;
  if (plannedName) {
    const label = await s.dest.ensureLabel(s.email, plannedName, { safeSegment: safeLabelSegment, ...(knownLabels ? { known: knownLabels } : {}) });
    // Gmail may have refused a segment as reserved (a localized system name): keep the name used.
    labelName = label.name.toLowerCase() === plannedName.toLowerCase() ? plannedName : label.name;
    labelIds.push(label.id);
  }
  let windowTotal: number | null = null;
  if (!ignored) {
    // Items in the initial window: the denominator of the Initial Sync progress bar
    // (one request per 1,000 messages, once).
    windowTotal = 0;
    let cursor: string | null = null;
    do {
      const page = await s.source.listFolderStubs(s.accountId, folder.id, s.windowStart, cursor);
      windowTotal += page.items.length;
      cursor = page.next;
    } while (cursor !== null);
  }
  return {
    id: newId('fld', s.rt.now()),
    sync_user_id: s.user.id,
    source_folder_id: folder.id,
    display_name: folder.displayName,
    path_json: toJson(folder.path),
    well_known: folder.wellKnownName,
    label_ids_json: toJson(labelIds),
    cursor: null,
    phase: ignored ? 'ignored' : 'initial',
    exported: 0,
    imported: 0,
    updated_at: now,
    label_name: labelName,
    window_total: windowTotal,
    reconcile_json: null,
    reconciled_at: null,
    gone_at: null,
  };
}

/** The folders to sync, in the source's order (well-known first as the source lists them). */
export async function activeFolders(s: Pick<UserSync, 'rt' | 'tenantId' | 'user'>): Promise<Map<string, FolderState>> {
  const rows = await foldersOfUser(s.rt.store.db, s.tenantId, s.user.id);
  const out = new Map<string, FolderState>();
  const order = (f: SyncFolderRow) => (f.well_known ? 0 : 1);
  for (const row of [...rows].sort((a, b) => order(a) - order(b) || a.path_json.localeCompare(b.path_json))) {
    if (row.gone_at || isIgnoredFolder(row)) continue;
    out.set(row.source_folder_id, { row, labelIds: fromJson<string[]>(row.label_ids_json, []) });
  }
  return out;
}
