import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import type { SecretBox } from '../keys/secret-box.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../connectors/sdk/index.js';
import { bindAuditSealer, createAuditSealer, type AuditSealer } from '../audit/sealing.js';
import type { AnchorLog } from '../audit/anchors.js';

/**
 * What every area gets from the composition root: the store, the secret box (over the master
 * keyring), what signs the audit log, a logger and a factory for connector HTTP clients. No
 * ambient tenant: the tenant id is an argument of every call that needs one.
 */
export interface Runtime {
  readonly store: Store;
  readonly secrets: SecretBox;
  /** Signs this store's audit log (keys from `secrets.keyring`) and anchors its heads. */
  readonly auditSealer: AuditSealer;
  readonly log: Logger;
  readonly now: () => number;
  readonly http: (opts: HttpClientOptions) => HttpClient;
}

export function createRuntime(parts: { store: Store; secrets: SecretBox; log: Logger; now?: () => number; auditAnchors?: AnchorLog | null }): Runtime {
  const auditSealer = createAuditSealer(parts.secrets, parts.auditAnchors ?? null);
  // recordAudit finds the sealer by the database handle it is given (audit/sealing.ts).
  bindAuditSealer(parts.store.db, auditSealer);
  return {
    store: parts.store,
    secrets: parts.secrets,
    auditSealer,
    log: parts.log,
    now: parts.now ?? Date.now,
    http: (opts) => createHttpClient(opts),
  };
}
