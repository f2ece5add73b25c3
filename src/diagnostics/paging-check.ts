import { catalogue, toAppError } from '../errors/index.js';
import { checkNoDuplicates, pagingInconsistent, PassTracker, type CheckResult, type DirectoryRecord, type DirectorySource } from '../connectors/sdk/index.js';

export const PAGING_CHECK_ID = 'paging';
const LABEL = 'The provider pages its listing consistently (the doctor reads page 2)';

function isDirectorySource(x: unknown): x is DirectorySource {
  return typeof x === 'object' && x !== null && typeof (x as DirectorySource).read === 'function' && Array.isArray((x as DirectorySource).streams);
}

/**
 * The doctor's paging finding for a directory connection: the first stream read as the sync
 * reads it, page 1 and then page 2 where there is one, through the same checker the sync uses
 * (sdk/paging.ts) plus what only two pages show: an object on both. A server that ignores
 * startIndex or repeats its cursor answers page 1 correctly, so a check of page 1 alone
 * passes on exactly the servers that lose data.
 */
export async function pagingFinding(instance: unknown, provider: string): Promise<CheckResult | null> {
  if (!isDirectorySource(instance)) return null;
  const stream = instance.streams.find((s) => !s.perGroup);
  if (!stream) return null;
  const tracker = new PassTracker(provider, stream.name);
  const keys = (records: readonly DirectoryRecord[]) => records.flatMap((r) => (r.type === 'account' || r.type === 'group' || r.type === 'entitlement' || r.type === 'credential' ? [`${r.type}:${r.externalId}`] : []));
  try {
    const first = await instance.read(stream.name, null);
    const label1 = `${stream.name} page 1`;
    tracker.accept(label1, first.items.length, null, first.next);
    if (!stream.repeatsAcrossPages) checkNoDuplicates(provider, label1, first.items);
    if (!first.next) return { id: PAGING_CHECK_ID, label: LABEL, status: 'pass', detail: `${stream.name}: one page of ${first.items.length} records (nothing to page through)` };
    const second = await instance.read(stream.name, first.next);
    const label2 = `${stream.name} page 2`;
    tracker.accept(label2, second.items.length, first.next, second.next);
    if (!stream.repeatsAcrossPages) {
      checkNoDuplicates(provider, label2, second.items);
      const seen = new Set(keys(first.items));
      const again = keys(second.items).find((k) => seen.has(k));
      if (again) throw pagingInconsistent(provider, label2, `the ${again.split(':')[0]} ${JSON.stringify(again.slice(again.indexOf(':') + 1).slice(0, 80))} was already listed on page 1`);
    }
    return { id: PAGING_CHECK_ID, label: LABEL, status: 'pass', detail: `${stream.name}: pages 1 and 2 (${first.items.length} + ${second.items.length} records) are consistent` };
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'directory.paging_inconsistent' || err.code === 'directory.pass_too_long' || err.code === 'provider.response_too_large') return { id: PAGING_CHECK_ID, label: LABEL, status: 'fail', error: err.toJSON() };
    // Another failure (a permission, the network) is what the listing findings report.
    return { id: PAGING_CHECK_ID, label: LABEL, status: 'skipped', detail: `could not read ${stream.name}: ${catalogue[err.code].title}` };
  }
}
