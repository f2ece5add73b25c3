import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';

/**
 * Loads data, exposes reload, and optionally refreshes every `everyMs` while the tab is visible.
 * An answer for older deps (a search typed over while its request was in flight) is dropped, so
 * a slow earlier answer never replaces a newer one; `stale` says the data shown still belongs to
 * the previous deps while the new request runs.
 */
export function useData<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const [loadedGen, setLoadedGen] = useState(-1);
  const gen = useRef(0);
  const depsGen = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const reload = useCallback(() => {
    const mine = depsGen.current;
    load()
      .then((d) => {
        if (mine !== depsGen.current) return;
        setData(d);
        setError(null);
        setLoadedGen(mine);
      })
      .catch((e: unknown) => {
        if (mine !== depsGen.current) return;
        setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Cannot reach Syncwarden', message: String(e), resolution: 'Check that the server is running, then reload.' });
      });
  }, deps);
  // A new reload function means new deps: answers for the old ones are stale from now on.
  const seen = useRef(reload);
  if (seen.current !== reload) {
    seen.current = reload;
    gen.current += 1;
  }
  depsGen.current = gen.current;
  useEffect(() => {
    reload();
    if (!everyMs) return;
    const t = setInterval(() => document.visibilityState === 'visible' && reload(), everyMs);
    return () => clearInterval(t);
  }, [reload, everyMs]);
  return { data, error, reload, stale: data !== null && loadedGen !== gen.current };
}
