import { useCallback, useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';

/** Loads data, exposes reload, and optionally refreshes every `everyMs` while the tab is visible. */
export function useData<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const reload = useCallback(() => {
    load()
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Cannot reach Syncwarden', message: String(e), resolution: 'Check that the server is running, then reload.' }));
  }, deps);
  useEffect(() => {
    reload();
    if (!everyMs) return;
    const t = setInterval(() => document.visibilityState === 'visible' && reload(), everyMs);
    return () => clearInterval(t);
  }, [reload, everyMs]);
  return { data, error, reload };
}
