import { AppError } from '../../errors/index.js';
import type { DirectoryRecord } from './directory.js';

/**
 * The one paging checker every directory reader uses. A pass is complete only if it is
 * consistent: the engine removes what a complete pass no longer lists, so a provider whose
 * paging repeats, skips or never ends would otherwise make the inventory shrink (a SCIM app
 * ignoring `startIndex` was read as its first page fifteen times and 528 objects were
 * removed). Provider answers are untrusted; each check below names the page and what was
 * wrong, as `directory.paging_inconsistent` or, for a listing past its bound,
 * `directory.pass_too_long`.
 *
 * Readers call the per-page checks (they alone know what they asked: a startIndex, a page
 * size, a cursor); the engine runs a `PassTracker` per stream (it alone sees the whole pass:
 * page count, cursors seen) and checks ids repeated across pages against what it wrote.
 */

/** Sane absolute ceilings, whatever a provider declares. Per connection run, per stream. */
export interface PagingLimits {
  /** Pages of one stream (per group for per-group streams) in one pass. */
  readonly maxPagesPerStream: number;
  /** Records on one page (a page of groups may carry their members). */
  readonly maxRecordsPerPage: number;
  /** Objects a provider may declare for one listing (SCIM totalResults). */
  readonly maxDeclaredTotal: number;
}

export const defaultPagingLimits: PagingLimits = {
  maxPagesPerStream: 100_000,
  maxRecordsPerPage: 100_000,
  maxDeclaredTotal: 10_000_000,
};

export function pagingInconsistent(provider: string, page: string, problem: string): AppError {
  return new AppError('directory.paging_inconsistent', { provider, page: page.slice(0, 200), problem: problem.slice(0, 300) });
}

export function passTooLong(provider: string, stream: string, limit: string, detail: string): AppError {
  return new AppError('directory.pass_too_long', { provider, stream, limit, detail: detail.slice(0, 300) });
}

/** The key an object record is stored under (object records only: those with their own id). */
function objectKey(r: DirectoryRecord): string | null {
  switch (r.type) {
    case 'account':
    case 'group':
    case 'entitlement':
    case 'credential':
      return `${r.type}:${r.externalId}`;
    default:
      return null;
  }
}

/** Throws when one page lists the same object twice (they would silently overwrite each other). */
export function checkNoDuplicates(provider: string, page: string, records: readonly DirectoryRecord[]): void {
  const seen = new Set<string>();
  for (const r of records) {
    const k = objectKey(r);
    if (k === null) continue;
    if (seen.has(k)) throw pagingInconsistent(provider, page, `the ${k.split(':')[0]} ${JSON.stringify(k.slice(k.indexOf(':') + 1).slice(0, 80))} appears twice on the page`);
    seen.add(k);
  }
}

/** Throws when a page carries more records than asked for (or than the absolute ceiling). */
export function checkPageSize(provider: string, page: string, received: number, requested: number | null, limits: PagingLimits = defaultPagingLimits): void {
  if (requested !== null && received > requested) throw pagingInconsistent(provider, page, `it answered ${received} records where at most ${requested} were asked for`);
  if (received > limits.maxRecordsPerPage) throw passTooLong(provider, page, `${limits.maxRecordsPerPage} records per page`, `one page carried ${received} records`);
}

/** Throws when an opaque continuation (nextLink, pageToken, Marker) repeats the one just used. */
export function checkCursorAdvances(provider: string, page: string, used: string | null | undefined, next: string | null | undefined): void {
  if (next && used && next === used) throw pagingInconsistent(provider, page, 'the next-page token it answered is the one that was just used (the listing does not advance)');
}

/**
 * SCIM index paging (RFC 7644 §3.4.2.4): the server must answer the 1-based startIndex it was
 * asked and never list more than the totalResults it declares (nor more than the ceiling).
 */
export function checkIndexPage(provider: string, page: string, p: { askedStart: number; answeredStart: number | null; received: number; totalResults: number }, limits: PagingLimits = defaultPagingLimits): void {
  if (p.answeredStart !== null && p.answeredStart !== p.askedStart) {
    throw pagingInconsistent(provider, page, `it answered startIndex ${p.answeredStart} to a request for startIndex ${p.askedStart}`);
  }
  if (p.totalResults > limits.maxDeclaredTotal) {
    throw passTooLong(provider, page, `${limits.maxDeclaredTotal} objects`, `it declared totalResults ${p.totalResults}`);
  }
  // More than `count` is tolerated (servers that ignore count answer everything at once, and
  // RFC 7644 makes count a request, not a contract): the declared total and the absolute
  // ceiling bound the page instead.
  checkPageSize(provider, page, p.received, null, limits);
  if (p.askedStart - 1 + p.received > p.totalResults) {
    throw pagingInconsistent(provider, page, `it listed ${p.askedStart - 1 + p.received} records so far where it declared totalResults ${p.totalResults}`);
  }
}

/**
 * What the engine knows of one stream's pass: how many pages it took and which cursors it
 * followed. A cursor seen before in the same pass is a loop (A → B → A), even when each step
 * "advances".
 */
export class PassTracker {
  private pages = 0;
  private readonly cursors = new Set<string>();

  constructor(
    private readonly provider: string,
    private readonly stream: string,
    private readonly limits: PagingLimits = defaultPagingLimits,
    /** Pages already read before a resume (the checkpoint's page number). */
    startPage = 0,
  ) {
    this.pages = startPage;
  }

  /** Before accepting page `pageNo` (0-based) that was read from `cursor` and points at `next`. */
  accept(pageLabel: string, records: number, cursor: string | null, next: string | null): void {
    this.pages += 1;
    if (this.pages > this.limits.maxPagesPerStream) throw passTooLong(this.provider, this.stream, `${this.limits.maxPagesPerStream} pages`, `${pageLabel} would be page ${this.pages}`);
    checkPageSize(this.provider, pageLabel, records, null, this.limits);
    if (cursor !== null) this.cursors.add(cursor);
    if (next !== null && next === cursor) throw pagingInconsistent(this.provider, pageLabel, 'its next-page cursor is the one that was just used (the listing does not advance)');
    if (next !== null && this.cursors.has(next)) throw pagingInconsistent(this.provider, pageLabel, 'its next-page cursor leads back to a page already read in this pass (the listing loops)');
  }
}
