import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, KeyRotationsTable } from '../store/schema.js';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { auditSealerOf, storeAuditMacKeys } from '../audit/sealing.js';
import { masterKey, writeKeyringFile, type MasterKey } from './keyring.js';
import { sealWith } from './secret-box.js';
import { describeSource, keyringWritable } from './source.js';
import { sealedColumns, type SealedColumn, type SealedRow } from './sealed-columns.js';
import { holderName, liveHolders, processExists, HOLDER_LIVE_MS } from './holders.js';
import { recordKeyEvent } from './events.js';

/**
 * `syncwarden keys rotate`: re-encrypts every stored secret under a new master key while the
 * product runs.
 *
 * 1. One rotation at a time (a partial unique index on the running row). A rotation whose process
 *    died is resumed by the next `keys rotate` — re-encryption is idempotent per row, the state is
 *    in the rows themselves (their key ids), so resuming is running again.
 * 2. The new key goes first into the keyring file (kept: the old keys, which still open what is
 *    not re-encrypted yet). Then the rotation waits until every live process holds it (they
 *    re-read the file on their heartbeat): re-encrypting earlier would lock them out.
 * 3. Row by row, in small batches: open with whichever key, seal with the new one, and write back
 *    only if the row still holds what was read (compare-and-set), so an admin saving a new secret
 *    meanwhile is never overwritten with the old one. Each batch commits with the progress.
 * 4. Secrets no key opens are reported, not dropped. The old key stays in the keyring until
 *    `keys retire` finds nothing uses it.
 */
export type RotationRow = Selectable<KeyRotationsTable>;

export interface RotateOptions {
  /** Add a fresh key first (needs a keyring file Syncwarden may write); false: re-encrypt under the current primary. */
  readonly newKey: boolean;
  /** This process's key holder id (holders.ts): the rotation's owner, not waited for. */
  readonly holderId: string;
  /** Called once the new key is in the keyring, so this process's holder row says so at once (`KeyHolder.beat`). */
  readonly onKeyringChanged?: () => Promise<unknown>;
  readonly batchSize?: number;
  /** Pace (rows per second) to keep the load low on a busy installation; unset: as fast as it goes. */
  readonly rowsPerSecond?: number;
  /** How long to wait for every live process to hold the new key. */
  readonly waitForHoldersMs?: number;
  readonly actor?: string;
  readonly onProgress?: (p: RotationProgress) => void;
}

export type RotationProgress =
  | { readonly phase: 'resuming'; readonly rotation: RotationRow }
  | { readonly phase: 'key_added'; readonly keyId: string; readonly path: string }
  | { readonly phase: 'waiting'; readonly missing: readonly string[] }
  | { readonly phase: 'reencrypting'; readonly done: number; readonly total: number };

export interface RotationResult {
  readonly id: string;
  readonly targetKeyId: string;
  readonly addedKey: boolean;
  readonly resumed: boolean;
  /** Re-encrypted by this run (and before, when resumed). */
  readonly reencrypted: number;
  /** Rows someone else changed meanwhile (re-sealed by their writer). */
  readonly skipped: number;
  readonly unreadable: readonly { readonly what: string; readonly row: string }[];
  /** Secrets still under another key (unreadable ones, or sealed meanwhile by a process whose keyring lists another key first). */
  readonly remaining: number;
}

const RUNNING = 'running';

export async function rotateKeys(rt: Runtime, opts: RotateOptions): Promise<RotationResult> {
  const ring = rt.secrets.keyring;
  ring.refresh();
  const me = { id: opts.holderId, host: hostname(), pid: process.pid };
  const { rotation, resumed, addedKey } = await claimRotation(rt, me, opts);
  try {
    return await runRotation(rt, me, rotation, resumed, addedKey, opts);
  } catch (e) {
    // Left for the next `keys rotate` to resume (a SIGKILL leaves it running with a dead owner: the same).
    await rt.store.db.updateTable('key_rotations').set({ status: 'interrupted', updated_at: nowIso() }).where('id', '=', rotation.id).where('owner_id', '=', me.id).where('status', '=', RUNNING).execute();
    throw e;
  }
}

type Owner = { readonly id: string; readonly host: string; readonly pid: number };

/** Resumes the rotation that did not finish when its key is still the primary; else starts one. */
async function claimRotation(rt: Runtime, me: Owner, opts: RotateOptions): Promise<{ rotation: RotationRow; resumed: boolean; addedKey: boolean }> {
  const db = rt.store.db;
  const ring = rt.secrets.keyring;
  const running = await db.selectFrom('key_rotations').selectAll().where('status', '=', RUNNING).executeTakeFirst();
  if (running && ownerAlive(running)) throw runningError(running);
  const unfinished = running ?? (await db.selectFrom('key_rotations').selectAll().where('status', '=', 'interrupted').orderBy('started_at', 'desc').limit(1).executeTakeFirst());
  if (unfinished) {
    if (unfinished.target_kid === ring.state().primary.id) {
      // Take it over by compare-and-set on its owner and status: two resumers cannot both win.
      const won = await db
        .updateTable('key_rotations')
        .set({ status: RUNNING, owner_id: me.id, owner_host: me.host, owner_pid: me.pid, updated_at: nowIso(), resumed: Number(unfinished.resumed) + 1 })
        .where('id', '=', unfinished.id)
        .where('status', '=', unfinished.status)
        .where('owner_id', '=', unfinished.owner_id)
        .executeTakeFirst()
        .catch(async (e: unknown) => {
          // The unique index: another rotation became the running one meanwhile.
          const other = await db.selectFrom('key_rotations').selectAll().where('status', '=', RUNNING).executeTakeFirst();
          if (other) throw runningError(other);
          throw e;
        });
      if (Number(won.numUpdatedRows) !== 1) throw runningError(unfinished);
      const rotation = await db.selectFrom('key_rotations').selectAll().where('id', '=', unfinished.id).executeTakeFirstOrThrow();
      opts.onProgress?.({ phase: 'resuming', rotation });
      return { rotation, resumed: true, addedKey: false };
    }
    // Its key never reached the keyring, or the keyring changed since: start afresh.
    await db.updateTable('key_rotations').set({ status: 'superseded', finished_at: nowIso() }).where('id', '=', unfinished.id).where('owner_id', '=', unfinished.owner_id).execute();
  }

  let target: MasterKey = ring.state().primary;
  if (opts.newKey) {
    if (!keyringWritable(ring)) throw new AppError('keys.keyring_not_writable', { source: describeSource(ring) });
    target = masterKey(randomBytes(32));
  }
  const id = newId('krot');
  const now = nowIso();
  const inserted = await db
    .insertInto('key_rotations')
    .values({ id, target_kid: target.id, status: RUNNING, owner_id: me.id, owner_host: me.host, owner_pid: me.pid, started_at: now, updated_at: now, finished_at: null, total: 0, done: 0, skipped: 0, unreadable: 0, unreadable_json: null, resumed: 0 })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) {
    const other = await db.selectFrom('key_rotations').selectAll().where('status', '=', RUNNING).executeTakeFirst();
    throw other ? runningError(other) : new AppError('keys.rotation_running', { id: '?', keyId: '?', owner: '?', updatedAt: '?' });
  }
  let addedKey = false;
  if (opts.newKey && ring.source.type === 'file') {
    // The new key first (it seals from now on), every old key after it (they still open).
    writeKeyringFile(ring.source.path, [target, ...ring.state().keys], new Map([[target.id, `added ${now} by keys rotate`]]));
    ring.refresh();
    if (ring.state().primary.id !== target.id) throw new AppError('keys.invalid', { source: describeSource(ring), detail: 'the keyring file did not take the new key' });
    addedKey = true;
    await opts.onKeyringChanged?.();
    opts.onProgress?.({ phase: 'key_added', keyId: target.id, path: ring.source.path });
  }
  await recordKeyEvent(rt, 'info', 'keys.rotation_started', `Master key rotation to key ${target.id} started${addedKey ? ' (new key added to the keyring)' : ''}`, opts.actor);
  return { rotation: await db.selectFrom('key_rotations').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), resumed: false, addedKey };
}

async function runRotation(rt: Runtime, me: Owner, rotation: RotationRow, resumed: boolean, addedKey: boolean, opts: RotateOptions): Promise<RotationResult> {
  const db = rt.store.db;
  const ring = rt.secrets.keyring;
  const target = ring.get(rotation.target_kid)!;
  // Entries the audit log signs from now on use the new key; the MAC keys of every key in the
  // ring are kept sealed (under the new key) so old entries stay verifiable after retirement.
  const sealer = auditSealerOf(db);
  if (sealer) await storeAuditMacKeys(db, sealer, rt.now());

  const rotationId = rotation.id;
  const touch = () => db.updateTable('key_rotations').set({ updated_at: nowIso() }).where('id', '=', rotationId).where('owner_id', '=', me.id).execute();
  await waitForHolders(db, target.id, me.id, opts.waitForHoldersMs ?? 60_000, opts.onProgress, touch);

  const batch = Math.max(1, opts.batchSize ?? 50);
  const remainingAtStart = await countNotUnder(db, target.id);
  let done = Number(rotation.done);
  const total = done + remainingAtStart;
  await db.updateTable('key_rotations').set({ total, updated_at: nowIso() }).where('id', '=', rotation.id).where('owner_id', '=', me.id).execute();
  opts.onProgress?.({ phase: 'reencrypting', done, total });

  const unreadable = new Map<string, { what: string; row: string }>();
  let skipped = Number(rotation.skipped);
  const startedMs = Date.now();
  let thisRun = 0;
  // A few passes: rows sealed meanwhile under the old key (by a process that had not reloaded
  // its keyring yet) are picked up by the next pass.
  for (let pass = 0; pass < 3; pass++) {
    for (const col of sealedColumns) {
      let last: unknown[] | null = null;
      for (;;) {
        const rows = await pageNotUnder(db, col, target.id, last, batch);
        if (rows.length === 0) break;
        last = col.key.map((k) => rows.at(-1)![k]);
        const outcome = await db.transaction().execute(async (trx) => {
          let changed = 0;
          let raced = 0;
          for (const row of rows) {
            const where = `${col.table} ${col.key.map((k) => String(row[k])).join('/')}`;
            const old = String(row[col.column]);
            let plaintext: string;
            try {
              plaintext = rt.secrets.open(old, col.aad(row));
            } catch {
              unreadable.set(where, { what: col.label, row: where });
              continue;
            }
            const next = col.reseal?.(row) ?? { aad: col.aad(row), set: {} };
            const r = await updateIfUnchanged(trx, col, row, old, sealWith(target, plaintext, next.aad), next.set);
            if (r) changed += 1;
            else raced += 1;
          }
          const progress = await trx
            .updateTable('key_rotations')
            .set((eb) => ({ done: eb('done', '+', changed), skipped: eb('skipped', '+', raced), updated_at: nowIso() }))
            .where('id', '=', rotation.id)
            .where('owner_id', '=', me.id)
            .executeTakeFirst();
          // Another process took the rotation over (it thought this one dead): stop, undoing this batch.
          if (Number(progress.numUpdatedRows) !== 1) throw runningError({ ...rotation, owner_host: 'another process', owner_pid: 0 });
          return { changed, raced };
        });
        done += outcome.changed;
        skipped += outcome.raced;
        thisRun += outcome.changed + outcome.raced;
        opts.onProgress?.({ phase: 'reencrypting', done, total });
        if (opts.rowsPerSecond) {
          const due = startedMs + (thisRun / opts.rowsPerSecond) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
    }
    if ((await countNotUnder(db, target.id)) <= unreadable.size) break;
  }

  const remaining = await countNotUnder(db, target.id);
  const list = [...unreadable.values()];
  await db
    .updateTable('key_rotations')
    .set({ status: 'completed', finished_at: nowIso(), updated_at: nowIso(), unreadable: list.length, unreadable_json: list.length ? JSON.stringify(list.slice(0, 50)) : null })
    .where('id', '=', rotation.id)
    .where('owner_id', '=', me.id)
    .execute();
  await recordKeyEvent(
    rt,
    list.length ? 'warning' : 'info',
    'keys.rotation_completed',
    `Master key rotation to key ${target.id} completed: ${done} secret(s) re-encrypted${skipped ? `, ${skipped} changed meanwhile` : ''}${list.length ? `, ${list.length} could not be opened with any key (${list.slice(0, 5).map((u) => u.row).join(', ')})` : ''}`,
    opts.actor,
  );
  return { id: rotation.id, targetKeyId: target.id, addedKey, resumed, reencrypted: done, skipped, unreadable: list, remaining };
}

/** A rotation's owner is alive while it makes progress (or, on this machine, while its process exists). */
function ownerAlive(r: RotationRow, nowMs = Date.now()): boolean {
  if (r.owner_host === hostname()) return processExists(Number(r.owner_pid));
  return Date.parse(r.updated_at) >= nowMs - HOLDER_LIVE_MS;
}

function runningError(r: Pick<RotationRow, 'id' | 'target_kid' | 'owner_host' | 'owner_pid' | 'updated_at'>): AppError {
  return new AppError('keys.rotation_running', { id: r.id, keyId: r.target_kid, owner: `${r.owner_host} pid ${r.owner_pid}`, updatedAt: r.updated_at });
}

async function waitForHolders(db: Kysely<Database>, kid: string, selfId: string, waitMs: number, onProgress: RotateOptions['onProgress'], touch: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + waitMs;
  let reported = '';
  for (let i = 0; ; i++) {
    // Show progress to processes on other machines, which judge this one alive by it.
    if (i % 20 === 0) await touch();
    const missing = (await liveHolders(db)).filter((h) => h.id !== selfId && !h.kids.split(' ').includes(kid));
    if (missing.length === 0) return;
    const names = missing.map(holderName);
    if (names.join() !== reported) {
      reported = names.join();
      onProgress?.({ phase: 'waiting', missing: names });
    }
    if (Date.now() >= deadline) throw new AppError('keys.holders_missing_key', { count: missing.length, keyId: kid, processes: names.join('; ') });
    await new Promise((r) => setTimeout(r, 250));
  }
}

const underKey = (kid: string) => `v2.${kid}.%`;

async function countNotUnder(db: Kysely<Database>, kid: string): Promise<number> {
  let n = 0;
  for (const col of sealedColumns) {
    const r = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${sql.table(col.table)} WHERE ${sql.ref(col.column)} IS NOT NULL AND ${sql.ref(col.column)} NOT LIKE ${underKey(kid)}`.execute(db);
    n += Number(r.rows[0]?.n ?? 0);
  }
  return n;
}

async function pageNotUnder(db: Kysely<Database>, col: SealedColumn, kid: string, after: unknown[] | null, limit: number): Promise<SealedRow[]> {
  const cols = [...new Set([...col.key, ...col.reads, col.column])];
  const key = sql.join(col.key.map((k) => sql.ref(k)));
  const keyset = after ? sql` AND (${key}) > (${sql.join(after.map((v) => sql`${v}`))})` : sql``;
  return (
    await sql<SealedRow>`SELECT ${sql.join(cols.map((c) => sql.ref(c)))} FROM ${sql.table(col.table)}
      WHERE ${sql.ref(col.column)} IS NOT NULL AND ${sql.ref(col.column)} NOT LIKE ${underKey(kid)}${keyset}
      ORDER BY ${key} LIMIT ${limit}`.execute(db)
  ).rows;
}

async function updateIfUnchanged(db: Kysely<Database>, col: SealedColumn, row: SealedRow, old: string, next: string, set: Readonly<Record<string, string | number>>): Promise<boolean> {
  const entries = Object.entries(set);
  const extra = entries.length ? sql.join(entries.map(([c, v]) => sql`, ${sql.ref(c)} = ${v}`), sql``) : sql``;
  const keyMatch = sql.join(col.key.map((k) => sql`${sql.ref(k)} = ${row[k]}`), sql` AND `);
  const r = await sql`UPDATE ${sql.table(col.table)} SET ${sql.ref(col.column)} = ${next}${extra} WHERE ${keyMatch} AND ${sql.ref(col.column)} = ${old}`.execute(db);
  return Number(r.numAffectedRows ?? 0n) === 1;
}

/** The latest rotations, newest first (for `keys status`). */
export async function recentRotations(db: Kysely<Database>, limit = 5): Promise<RotationRow[]> {
  return db.selectFrom('key_rotations').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}

/** A rotation as an admin should read it: a running one whose owner is gone is interrupted (the next `keys rotate` resumes it). */
export function rotationState(r: RotationRow): 'running' | 'interrupted' | 'completed' | 'superseded' {
  switch (r.status) {
    case RUNNING:
      return ownerAlive(r) ? 'running' : 'interrupted';
    case 'interrupted':
    case 'completed':
    case 'superseded':
      return r.status;
    default:
      return 'superseded';
  }
}
