import { afterAll, beforeAll, beforeEach } from 'vitest';
import { AppError } from '../../src/errors/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import type { DirectoryRecord, DirectorySource } from '../../src/connectors/sdk/index.js';

/**
 * What the connector tests share: one sandbox per file (on the file's clock if it shifts time;
 * faults cleared before each test, plus the file's own reset), every page of a stream, and the catalogue error a call fails with.
 */
export function useSandbox(opts: { now?: () => number; reset?: (sb: Sandbox) => Promise<void> | void } = {}): () => Sandbox {
  let sb: Sandbox | undefined;
  beforeAll(async () => {
    sb = await startSandbox(opts.now ? { now: opts.now } : {});
  });
  afterAll(async () => {
    await sb?.close();
  });
  beforeEach(async () => {
    sb!.faults.clear();
    await opts.reset?.(sb!);
  });
  return () => sb!;
}

/** Every record of a stream, page after page; fails a stream that pages on past `maxPages`. */
export async function readAll(source: Pick<DirectorySource, 'read'>, stream: string, parent?: string, maxPages = 10_000): Promise<DirectoryRecord[]> {
  const items: DirectoryRecord[] = [];
  let cursor: string | null = null;
  for (let pages = 0; ; pages++) {
    if (pages >= maxPages) throw new Error(`${stream}: more than ${maxPages} pages`);
    const page = await source.read(stream, cursor, parent);
    items.push(...page.items);
    cursor = page.next;
    if (!cursor) return items;
  }
}

/** The catalogue error `p` rejects with (anything else, or success, fails the test). */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}
