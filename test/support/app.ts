import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSyncwarden, type Running, type StartOptions } from '../../src/runtime/start.js';
import { createLogger } from '../../src/runtime/logger.js';
import type { Dialect } from '../../src/store/db.js';
import type { Role } from '../../src/auth/permissions.js';
import { findUserByEmail } from '../../src/auth/users.js';
import { dropSchema, pgUrlWithSchema } from './pg-schema.js';
import { apiClient, ensureUser, tokenFor, type ApiFn } from './auth.js';

export interface BootedApp extends Omit<Running, 'api'> {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** The API as the first owner (an owner's API token): what most tests act as. */
  readonly api: ApiFn;
  /** The API as a user of another role (made on first use), or anonymous with `null`. */
  as(role: Role | null): Promise<ApiFn>;
  /** The first owner's API token (for a CLI against this server: SYNCWARDEN_TOKEN). */
  readonly ownerToken: string;
}

/**
 * Boots the same composition as `npm start` (store, runtime, API, optionally the sandbox,
 * worker and scheduler) on a temporary data directory and free ports. Sign-in is real: the
 * first start makes the first owner, and `api` calls with that owner's API token.
 */
export async function bootApp(opts: Partial<StartOptions> & { dialect?: Dialect } = {}): Promise<BootedApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-app-'));
  let databaseUrl: string | undefined;
  let schemaToDrop: string | undefined;
  if (opts.dialect === 'postgres') {
    // A private schema per boot: the search_path goes through the URL's options.
    const { url, schema } = await pgUrlWithSchema();
    databaseUrl = url;
    schemaToDrop = schema;
  }
  const running = await startSyncwarden({ dataDir, databaseUrl, port: 0, log: createLogger('silent'), env: {}, ...opts });
  let ownerToken = '';
  let api: ApiFn = apiClient(running.url ?? 'http://127.0.0.1:1', {});
  if (running.url) {
    const owner = await findUserByEmail(running.rt, 'owner@localhost');
    if (!owner) throw new Error('the first start made no owner');
    ownerToken = await tokenFor(running.rt, owner.id, 'owner', 'test-owner');
    api = apiClient(running.url, { authorization: `Bearer ${ownerToken}` });
  }
  const clients = new Map<string, ApiFn>();
  return {
    ...running,
    dataDir,
    databaseUrl,
    api,
    ownerToken,
    async as(role) {
      if (!running.url) throw new Error('this app serves no API (port undefined)');
      if (role === null) return apiClient(running.url, {});
      let c = clients.get(role);
      if (!c) {
        const userId = await ensureUser(running.rt, role);
        c = apiClient(running.url, { authorization: `Bearer ${await tokenFor(running.rt, userId, role)}` });
        clients.set(role, c);
      }
      return c;
    },
    async stop() {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (schemaToDrop) await dropSchema(schemaToDrop);
    },
  };
}
