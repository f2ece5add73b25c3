import { z } from 'zod';

/**
 * Where a run stands, saved in the same transaction as each page's rows: a crash resumes at
 * the page after the last one written, never re-counting or losing one.
 */
export const checkpointSchema = z.object({
  /** Index of the stream being read (= streams.length once every stream is read). */
  i: z.number().int().min(0),
  /** Cursor of the next page of that stream; null = its first page. */
  cursor: z.string().nullable(),
  /** The group whose members a per-group stream is reading. */
  parent: z.string().nullable(),
  /** Page number within the stream (and parent): part of the page key. */
  page: z.number().int().min(0),
  /** Streams read in full in this run (all of them in a full run; a delta run may fall back). */
  full: z.array(z.string()),
  /** Delta cursors the streams' last pages handed out in this run. */
  deltas: z.record(z.string(), z.string()),
  /** The connection held nothing when the run began: nothing to compare pages with. */
  fresh: z.boolean().default(false),
  /** Net rows added (+) / removed (−) per table so far in this run. */
  net: z.record(z.string(), z.number()).default({}),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export const START: Checkpoint = { i: 0, cursor: null, parent: null, page: 0, full: [], deltas: {}, fresh: false, net: {} };

export function parseCheckpoint(json: string): Checkpoint {
  const r = checkpointSchema.safeParse(JSON.parse(json));
  return r.success ? r.data : START;
}

/** The key of a page of a full pass: stable across runs, unlike provider cursors. */
export function pageKeyOf(stream: string, parent: string | null, page: number): string {
  return `${stream}${parent === null ? '' : `/${parent}`}#${page}`;
}
