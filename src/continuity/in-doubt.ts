import { AppError } from '../errors/index.js';
import type { MailDestination } from '../connectors/sdk/index.js';
import { destinationClaimed } from '../store/sync-repo.js';
import { runPool } from '../engine/pool.js';
import type { Runtime } from '../runtime/context.js';

/**
 * Finding an item left in doubt by a crash (its ledger row committed `pending`, the write to
 * the destination perhaps done) without trusting a search index that lags behind the write
 * (docs/decisions/0008-in-doubt-by-history.md).
 *
 * Before writing, the item's row records a mark of the destination mailbox's change log
 * (Gmail: the historyId of users.getProfile). To resolve the item, the messages added since
 * that mark (users.history.list, exact the moment a message exists) are read for their
 * Message-ID (messages.get, metadata), and joined with what a search by Message-ID finds
 * (which covers anything older than the mark, once the index has caught up). A mark the
 * mailbox no longer keeps history for (Gmail: at least a week) is old enough for the index
 * to hold everything: the search alone answers then.
 */

/** At most this many messages added since one mark are read (each costs a messages.get). */
export const MAX_ADDED_SCAN = 5_000;
/** A mark serves this many writes, or this long, before a fresh one is read. */
const MARK_USES = 50;
const MARK_AGE_MS = 60_000;
/** Messages of a change-log page read at once (a mark serves MARK_USES writes, so a page of added messages is about that long). */
const SCAN_WIDTH = 8;

export interface InDoubtFinder {
  /** The mark to record on a row before its write; null when the destination keeps no change log. */
  mark(): Promise<string | null>;
  /** Destination message ids carrying this Message-ID: by search, and since `mark` by the change log. */
  locate(rfc822MessageId: string, mark: string | null): Promise<string[]>;
}

interface Scope {
  readonly rt: Runtime;
  readonly tenantId: string;
  readonly syncUserId: string;
  readonly dest: MailDestination;
  readonly email: string;
}

/** One per user run: marks are shared by a run's writes, and one scan of a mark serves every row that carries it. */
export function inDoubtFinder(s: Scope): InDoubtFinder {
  let current: { mark: Promise<string | null>; uses: number; at: number } | null = null;
  const scans = new Map<string, Promise<Map<string, string[]> | 'expired'>>();

  async function scan(mark: string): Promise<Map<string, string[]> | 'expired'> {
    const changes = s.dest.changes!;
    const byMessageId = new Map<string, string[]>();
    let cursor: string | null = null;
    let read = 0;
    try {
      do {
        const page = await changes.listAddedSince(s.email, mark, cursor);
        // Another item's settled message is not this one's; no need to read it.
        const unclaimed: string[] = [];
        for (const id of page.items) if (!(await destinationClaimed(s.rt.store.db, s.tenantId, s.syncUserId, id))) unclaimed.push(id);
        read += unclaimed.length;
        if (read > MAX_ADDED_SCAN) return 'expired';
        // Read side by side: after a takeover every read waits for the shared budget's next
        // room, and one after the other they cost a room each.
        const run = await runPool(unclaimed, SCAN_WIDTH, () => false, (id) => s.dest.messageIdOf(s.email, id));
        if (run.failed) throw run.error;
        unclaimed.forEach((id, i) => {
          const mid = run.results[i];
          if (mid === null || mid === undefined) return;
          const key = normalise(mid);
          byMessageId.set(key, [...(byMessageId.get(key) ?? []), id]);
        });
        cursor = page.next;
      } while (cursor !== null);
    } catch (e) {
      if (e instanceof AppError && e.code === 'recovery.history_expired') return 'expired';
      throw e;
    }
    return byMessageId;
  }

  return {
    mark() {
      const changes = s.dest.changes;
      if (!changes) return Promise.resolve(null);
      const now = s.rt.now();
      if (!current || current.uses >= MARK_USES || now - current.at > MARK_AGE_MS) {
        const p = changes.changeMarker(s.email);
        current = { mark: p, uses: 0, at: now };
        // A failed read is not kept: the next write asks again.
        p.catch(() => {
          if (current?.mark === p) current = null;
        });
      }
      current.uses += 1;
      return current.mark;
    },

    async locate(rfc822MessageId, mark) {
      let p: Promise<Map<string, string[]> | 'expired'> | undefined;
      if (mark !== null && s.dest.changes) {
        p = scans.get(mark);
        if (!p) {
          p = scan(mark);
          scans.set(mark, p);
          p.catch(() => scans.delete(mark));
        }
      }
      // The search and the change log's scan side by side (each waits for the budget).
      const [found, added] = await Promise.all([s.dest.findAllByMessageId(s.email, rfc822MessageId), p ?? Promise.resolve('expired' as const)]);
      const ids = new Set(found);
      if (added !== 'expired') for (const id of added.get(normalise(rfc822MessageId)) ?? []) ids.add(id);
      return [...ids];
    },
  };
}

/** Message-IDs compare without their angle brackets and surrounding space. */
function normalise(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '');
}
