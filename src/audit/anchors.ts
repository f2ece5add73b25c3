import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../runtime/atomic-file.js';

/**
 * The anchor file: every chain head Syncwarden signs (each appended entry) and every checkpoint,
 * appended as one JSON line to a file outside the database — `audit-anchors.jsonl` in the data
 * folder, or `SYNCWARDEN_AUDIT_ANCHOR_FILE`. Someone who can write the database but not this file
 * can roll the log back to an older, validly signed head; the file remembers the newer one, so
 * the rollback (a truncated history) is found.
 *
 * Lines are written after the database commit: an anchor always names an entry that exists (or
 * existed). A crash between commit and append loses an anchor, never adds a false one. Format 1:
 * `{"v":1,"type":"head"|"checkpoint","tenant","seq","hash","at","kid","mac","kind"?,"detail"?}`.
 */
const recordSchema = z.discriminatedUnion('type', [
  z.object({ v: z.literal(1), type: z.literal('head'), tenant: z.string(), seq: z.number().int().nonnegative(), hash: z.string(), at: z.string(), kid: z.string(), mac: z.string() }),
  z.object({
    v: z.literal(1), type: z.literal('checkpoint'), tenant: z.string(), kind: z.string(), seq: z.number().int().nonnegative(), hash: z.string(), at: z.string(),
    detail: z.string().nullable(), kid: z.string(), mac: z.string(),
  }),
]);
export type AnchorRecord = z.infer<typeof recordSchema>;

export interface AnchorLog {
  readonly path: string;
  append(record: AnchorRecord): void;
  /** Every readable record, in file order; `unreadable` counts lines that are not records. */
  read(): { records: AnchorRecord[]; unreadable: number };
  /** Rewrites the file keeping the newest head per tenant and every checkpoint. */
  compact(): void;
  /** Moves the file aside (kept as evidence) and starts an empty one; returns where it went. */
  archive(suffix: string): string | null;
  /** Closes the append handle (a later append reopens it). */
  close(): void;
}

/** Compact when the file passes this size (checked every COMPACT_CHECK_EVERY appends). */
const COMPACT_BYTES = 8 * 1024 * 1024;
const COMPACT_CHECK_EVERY = 2_000;

export function anchorLog(path: string, onError: (e: unknown) => void = () => undefined): AnchorLog {
  let appends = 0;
  // An open append handle (opening the file per line cost more than the rest of an append). It
  // follows the path: reopened when the file there is no longer the one it writes to (another
  // process compacted or archived it), looked at at most every second.
  let out: { fd: number; ino: number; checkedAt: number } | null = null;
  const handle = (): number => {
    if (out && Date.now() - out.checkedAt < 1_000) return out.fd;
    let ino: number | null = null;
    try {
      ino = statSync(path).ino;
    } catch {
      // Not there (archived, or never written): reopen, which creates it.
    }
    if (out && ino === out.ino) {
      out.checkedAt = Date.now();
      return out.fd;
    }
    release();
    const fd = openSync(path, 'a', 0o600);
    out = { fd, ino: fstatSync(fd).ino, checkedAt: Date.now() };
    return fd;
  };
  const release = () => {
    if (!out) return;
    try {
      closeSync(out.fd);
    } catch {
      // Already closed; nothing to release.
    }
    out = null;
  };
  let cache: { ino: number; offset: number; records: AnchorRecord[]; unreadable: number } = { ino: -1, offset: 0, records: [], unreadable: 0 };
  const log: AnchorLog = {
    path,
    append(record) {
      try {
        writeSync(handle(), JSON.stringify(record) + '\n');
        if (++appends % COMPACT_CHECK_EVERY === 0 && statSync(path).size > COMPACT_BYTES) log.compact();
      } catch (e) {
        // The entry is committed; a missing anchor only weakens rollback detection for it.
        onError(e);
      }
    },
    read() {
      // Incremental: a file that only grew is read from where the last read stopped (the daily
      // check reads it once per tenant), a replaced or shrunk one from the start.
      if (!existsSync(path)) {
        cache = { ino: -1, offset: 0, records: [], unreadable: 0 };
        return { records: [], unreadable: 0 };
      }
      const fd = openSync(path, 'r');
      try {
        const st = fstatSync(fd);
        if (st.ino !== cache.ino || st.size < cache.offset) cache = { ino: st.ino, offset: 0, records: [], unreadable: 0 };
        const length = st.size - cache.offset;
        if (length > 0) {
          const buf = Buffer.alloc(length);
          let got = 0;
          while (got < length) {
            const n = readSync(fd, buf, got, length - got, cache.offset + got);
            if (n === 0) break;
            got += n;
          }
          // Only whole lines: an append may be under way at the end.
          const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
          const records = [...cache.records];
          let unreadable = cache.unreadable;
          for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
            if (!line.trim()) continue;
            try {
              records.push(recordSchema.parse(JSON.parse(line)));
            } catch {
              unreadable += 1;
            }
          }
          cache = { ino: st.ino, offset: cache.offset + end, records, unreadable };
        }
        return { records: cache.records, unreadable: cache.unreadable };
      } finally {
        closeSync(fd);
      }
    },
    compact() {
      const { records } = log.read();
      const heads = new Map<string, AnchorRecord>();
      const kept: AnchorRecord[] = [];
      for (const r of records) {
        if (r.type === 'checkpoint') kept.push(r);
        else if ((heads.get(r.tenant)?.seq ?? -1) < r.seq) heads.set(r.tenant, r);
      }
      // Lines another process appends between the read and the rename are lost: that can only
      // drop an anchor (less to check against), never make one up.
      writeFileAtomic(path, [...kept, ...heads.values()].map((r) => JSON.stringify(r) + '\n').join(''));
      release();
    },
    archive(suffix) {
      if (!existsSync(path)) return null;
      const to = `${path}.${suffix}`;
      renameSync(path, to);
      release();
      return to;
    },
    close: () => release(),
  };
  return log;
}
