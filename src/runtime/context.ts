import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import type { SecretBox } from '../connections/secret-box.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../connectors/sdk/index.js';

/**
 * What every area gets from the composition root: the store, the secret box, a logger and a
 * factory for connector HTTP clients. No ambient tenant: the tenant id is an argument of
 * every call that needs one.
 */
export interface Runtime {
  readonly store: Store;
  readonly secrets: SecretBox;
  readonly log: Logger;
  readonly now: () => number;
  readonly http: (opts: HttpClientOptions) => HttpClient;
}

export function createRuntime(parts: { store: Store; secrets: SecretBox; log: Logger; now?: () => number }): Runtime {
  return {
    ...parts,
    now: parts.now ?? Date.now,
    http: (opts) => createHttpClient(opts),
  };
}
