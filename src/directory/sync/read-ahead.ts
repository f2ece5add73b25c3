import type { DirectoryRecord, Page } from '../../connectors/sdk/index.js';

/**
 * Reads the pages of one stream (and parent) ahead of the writer, a few pages deep: the
 * provider's time and ours overlap, and when the writer is the slower side it finds several
 * pages waiting and writes them in one transaction (one commit instead of several, which is
 * most of the cost of a page on the embedded database). Each page is still written with its
 * own checkpoint; the read-ahead never holds a transaction open across a network call.
 */
export interface ReadAhead {
  /** The pages read since the last call (at least one), or null when the sequence ended. Throws the read's error. */
  take(): Promise<Page<DirectoryRecord>[] | null>;
  stop(): void;
}

export interface ReadAheadOptions {
  /** Pages held at most (bounds memory). */
  readonly depth: number;
  /** Records handed to the writer at most per take (bounds a transaction). */
  readonly maxRecords: number;
}

export function readAhead(read: (cursor: string | null) => Promise<Page<DirectoryRecord>>, first: string | null, opts: ReadAheadOptions): ReadAhead {
  const queue: Page<DirectoryRecord>[] = [];
  let error: unknown = null;
  let ended = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  let space: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  void (async () => {
    let cursor: string | null = first;
    try {
      for (;;) {
        while (queue.length >= opts.depth && !stopped) await new Promise<void>((r) => (space = r));
        if (stopped) return;
        const page = await read(cursor);
        queue.push(page);
        notify();
        if (!page.next) break;
        cursor = page.next;
      }
    } catch (e) {
      error = e;
    } finally {
      ended = true;
      notify();
    }
  })();

  return {
    async take() {
      while (queue.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      if (queue.length === 0) {
        if (error !== null) throw error;
        return null;
      }
      const out: Page<DirectoryRecord>[] = [];
      let records = 0;
      while (queue.length > 0 && (out.length === 0 || records + queue[0]!.items.length <= opts.maxRecords)) {
        const p = queue.shift()!;
        records += p.items.length;
        out.push(p);
      }
      space?.();
      space = null;
      return out;
    },
    stop() {
      stopped = true;
      space?.();
      space = null;
    },
  };
}
