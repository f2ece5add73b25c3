import { useCallback, useEffect, useRef, useState } from 'react';
import type { RenderedError } from '../api.js';
import { asError } from './CampaignBits.js';

/** One answer of a keyset-paged list route: its rows and the cursor of the next page. */
export interface KeysetPage<T = unknown> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list read with keyset paging: the first page, then `more` appends the next one. A new
 * `key` (the filters) or `version` (a reload after a change) reads the first page again; a
 * "more" that answers after that is dropped, so a list never mixes two queries' rows. The
 * answer's other fields (counts, a banner) are those of the latest page.
 */
export function useKeyset<P extends KeysetPage>(fetchPage: (cursor: string | null) => Promise<P>, key: string, version: number) {
  const [data, setData] = useState<P | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const [loading, setLoading] = useState(false);
  // The latest fetcher (it closes over the filters the key names) and the query it reads.
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setLoading(true);
    fetchRef.current(null)
      .then((r) => { if (generation.current === mine) { setData(r); setError(null); } })
      .catch((e: unknown) => { if (generation.current === mine) setError(asError(e)); })
      .finally(() => { if (generation.current === mine) setLoading(false); });
  }, [key, version]);
  const cursor = data?.nextCursor ?? null;
  const more = useCallback(() => {
    if (!cursor) return;
    const mine = generation.current;
    setLoading(true);
    fetchRef.current(cursor)
      .then((r) => { if (generation.current === mine) setData((old) => (old ? { ...r, items: [...old.items, ...r.items] as P['items'] } : r)); })
      .catch((e: unknown) => { if (generation.current === mine) setError(asError(e)); })
      .finally(() => { if (generation.current === mine) setLoading(false); });
  }, [cursor]);
  return { data, items: (data?.items ?? null) as P['items'] | null, cursor, error, loading, more };
}

/** The "Load more" button under a keyset-paged list; nothing once the last page is shown. */
export function LoadMore({ cursor, loading, more }: { cursor: string | null; loading: boolean; more: () => void }) {
  if (!cursor) return null;
  return <button type="button" className="load-more" disabled={loading} onClick={more}>{loading ? 'Loading…' : 'Load more'}</button>;
}
