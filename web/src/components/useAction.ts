import { useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';

/**
 * Runs an admin action, then `after` (usually the page's reload); a failure is kept as the
 * catalogue error the API answered (or a network error) for the page's ErrorBox.
 */
export function useAction(after: () => void) {
  const [actionError, setActionError] = useState<RenderedError | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
      after();
    } catch (e) {
      setActionError(e instanceof ApiError ? e.error : { code: 'network', title: 'Failed', message: String(e), resolution: 'Try again.' });
    }
  };
  return { act, actionError };
}
