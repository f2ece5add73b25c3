import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSyncwarden, type Running, type StartOptions } from '../../src/runtime/start.js';
import { createLogger } from '../../src/runtime/logger.js';
import type { Dialect } from '../../src/store/db.js';
import { dropSchema, pgUrlWithSchema } from './pg-schema.js';

/**
 * Boots the same composition as `npm start` (store, runtime, API, optionally the sandbox,
 * worker and scheduler) on a temporary data directory and free ports.
 */
export async function bootApp(opts: Partial<StartOptions> & { dialect?: Dialect } = {}): Promise<Running & { dataDir: string; databaseUrl: string | undefined; api: (path: string, init?: RequestInit) => Promise<{ status: number; body: any; text: string }> }> {
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
  const api = async (path: string, init: RequestInit = {}) => {
    const headers = init.body !== undefined ? { 'content-type': 'application/json', ...(init.headers ?? {}) } : init.headers;
    const res = await fetch(`${running.url}/api/v1${path}`, { ...init, headers });
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text };
  };
  return {
    ...running,
    dataDir,
    databaseUrl,
    api,
    async stop() {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (schemaToDrop) await dropSchema(schemaToDrop);
    },
  };
}
