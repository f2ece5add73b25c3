import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import type { Database } from '../store/schema.js';
import { nowIso } from '../model/ids.js';
import type { CampaignInput } from './input.js';
import { membersOfGroup } from './scope.js';
import { loadDirectory } from './assign.js';
import { loadPeople, type People } from './people.js';
import { NO_RISK_SENTENCE, MIN_PEERS, peerSentence } from './recommendation.js';
import { connectionFacts, emptyFacts, type SnapshotFacts } from './snapshot-facts.js';
import { itemIdPrefix } from './snapshot.js';

/**
 * The start's snapshot, set-based (issue 13 point 9: a million items at ≥ 50,000/s with bounded
 * memory). JavaScript computes what is per account or per group (snapshot-facts.ts) into
 * temporary tables; one INSERT … SELECT per range of accounts then expands the direct
 * memberships inside the database, joining the account's facts, the peer counts (GROUP BY over
 * the same rows) and the reviewers. The rows a million bound parameters each would cost never
 * cross into JavaScript.
 *
 * Item ids keep the person-then-resource order the inbox keyset relies on: accounts are numbered
 * in (display name, account id) order here, and within a range ROW_NUMBER orders by account,
 * kind and resource name; the range's first number continues the previous range's count.
 */
const ACCOUNTS_PER_CHUNK = 4_000;

type Db = Kysely<Database>;

/** CPU time since `from` (ms): on a shared machine, wall time alone says little about the work. */
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return Math.round((u.user + u.system) / 1000);
};

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** base32(n, 7) of snapshot.ts as SQL (bit shifts work alike on SQLite and PostgreSQL bigints). */
function base32Sql(n: RawBuilder<unknown>): RawBuilder<string> {
  const digits = [30, 25, 20, 15, 10, 5, 0].map((shift) => sql`substr(${ALPHABET}, CAST(((${n} >> ${sql.raw(String(shift))}) & 31) + 1 AS INTEGER), 1)`);
  return sql<string>`(${sql.join(digits, sql` || `)})`;
}

/** A sentence with SQL blanks: the template's text as JSON-quoted literal pieces around the column expressions. */
function sentenceSql(fn: (h: string, s: string, d: string) => string, h: RawBuilder<unknown>, s: RawBuilder<unknown>, d: RawBuilder<unknown>): RawBuilder<string> {
  const marks: Record<string, RawBuilder<unknown>> = { H: h, S: s, D: d };
  const parts = JSON.stringify(fn('@@H@@', '@@S@@', '@@D@@')).split(/@@([HSD])@@/);
  return sql<string>`(${sql.join(parts.map((p, i) => (i % 2 === 1 ? sql`CAST(${marks[p]} AS TEXT)` : sql`CAST(${p} AS TEXT)`)), sql` || `)})`;
}

const TABLES = ['cs_acct', 'cs_res', 'cs_extra', 'cs_peers', 'cs_own', 'cs_exc'] as const;

async function createTables(db: Db, t: (n: string) => RawBuilder<unknown>): Promise<void> {
  await sql`CREATE TEMP TABLE ${t('cs_acct')} (seq INTEGER PRIMARY KEY, connection_id TEXT NOT NULL, account_id TEXT NOT NULL, identity_id TEXT, user_name TEXT NOT NULL, display_name TEXT NOT NULL, email TEXT,
    enabled INTEGER NOT NULL, guest INTEGER NOT NULL, department TEXT, dept_esc TEXT, dept_size INTEGER NOT NULL, last_activity_at TEXT, mem_kind TEXT, search TEXT NOT NULL, rev TEXT NOT NULL, ok TEXT NOT NULL,
    spread BIGINT NOT NULL, r1 TEXT, r2 TEXT, fb1 INTEGER NOT NULL, why1 TEXT)`.execute(db);
  await sql`CREATE TEMP TABLE ${t('cs_res')} (connection_id TEXT NOT NULL, resource_id TEXT NOT NULL, name TEXT NOT NULL, lname TEXT NOT NULL, chain_json TEXT NOT NULL, privileged INTEGER NOT NULL, has_owners INTEGER NOT NULL, PRIMARY KEY (connection_id, resource_id))`.execute(db);
  await sql`CREATE TEMP TABLE ${t('cs_extra')} (seq INTEGER NOT NULL, kind TEXT NOT NULL, resource_id TEXT NOT NULL, resource_name TEXT NOT NULL, lname TEXT NOT NULL, privileged INTEGER NOT NULL, via TEXT NOT NULL,
    chain_json TEXT NOT NULL, via_group_id TEXT, since TEXT, last_activity_at TEXT, rev TEXT NOT NULL, ok TEXT NOT NULL)`.execute(db);
  await sql`CREATE INDEX ${t('cs_extra_seq')} ON ${t('cs_extra')} (seq)`.execute(db);
  await sql`CREATE TEMP TABLE ${t('cs_peers')} (connection_id TEXT NOT NULL, resource_id TEXT NOT NULL, department TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (connection_id, resource_id, department))`.execute(db);
  await sql`CREATE TEMP TABLE ${t('cs_own')} (stage INTEGER NOT NULL, connection_id TEXT NOT NULL, resource_id TEXT NOT NULL, pos INTEGER NOT NULL, user_id TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (stage, connection_id, resource_id, pos))`.execute(db);
  await sql`CREATE TEMP TABLE ${t('cs_exc')} (stage INTEGER NOT NULL, seq INTEGER NOT NULL, resource_id TEXT NOT NULL, user_id TEXT, fb INTEGER NOT NULL, why TEXT, PRIMARY KEY (stage, seq, resource_id))`.execute(db);
}

/** Rows into a temporary table: one prepared statement in one transaction on SQLite, multi-row INSERTs on PostgreSQL. */
async function fill(rt: Runtime, db: Db, table: RawBuilder<unknown>, name: string, columns: string[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const raw = rt.store.sqlite;
  if (raw) {
    const stmt = raw.prepare(`INSERT INTO temp.${name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    raw.transaction(() => {
      for (const r of rows) stmt.run(...r);
    })();
    return;
  }
  const per = Math.floor(30_000 / columns.length);
  for (let i = 0; i < rows.length; i += per) {
    const values = rows.slice(i, i + per).map((r) => sql`(${sql.join(r)})`);
    await sql`INSERT INTO ${table} (${sql.raw(columns.join(', '))}) VALUES ${sql.join(values)}`.execute(db);
  }
}

async function load(rt: Runtime, tenantId: string, input: CampaignInput, loaded?: People): Promise<SnapshotFacts> {
  const people = loaded ?? (await loadPeople(rt, tenantId));
  const memberOf = input.filters?.memberOfGroup ? await membersOfGroup(rt, tenantId, input.filters.memberOfGroup.connectionId, input.filters.memberOfGroup.groupId) : null;
  const dir = await loadDirectory(rt, tenantId, input.connectionIds, { managers: input.reviewers.mode === 'manager' || input.secondStage?.mode === 'manager' });
  const facts = emptyFacts();
  for (const connectionId of [...new Set(input.connectionIds)]) await connectionFacts(rt, tenantId, connectionId, input, memberOf, dir, people, facts);
  // Plain code-unit order (a collator is ~20x slower on a million items); the inbox only needs a stable person-then-resource order.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  facts.accounts.sort((a, b) => cmp(a.displayName, b.displayName) || cmp(a.accountId, b.accountId) || cmp(a.connectionId, b.connectionId));
  facts.accounts.forEach((a, i) => (a.seq = i));
  return facts;
}

export interface SnapshotTotals { items: number; assigned: number }

/** Writes a campaign's items (status already claimed by the caller); answers how many, and how many have a reviewer. */
export async function writeSnapshot(rt: Runtime, tenantId: string, campaignId: string, input: CampaignInput, nowMs: number): Promise<SnapshotTotals> {
  const tLoad = performance.now();
  const cLoad = process.cpuUsage();
  const facts = await load(rt, tenantId, input);
  rt.log.debug({ ms: Math.round(performance.now() - tLoad), cpuMs: cpuMs(cLoad), accounts: facts.accounts.length, extras: facts.extras.length }, 'campaign facts computed');
  // Temporary tables live in one connection: PostgreSQL takes one from the pool for the whole
  // snapshot; SQLite has only one (and holding Kysely's lock for it would stall every request).
  return inOneConnection(rt, (db) => run(rt, db, tenantId, input, facts, { kind: 'insert', campaignId, nowMs }));
}

/** Temporary tables live in one connection: PostgreSQL takes one from the pool for the whole
 * snapshot; SQLite has only one (and holding Kysely's lock for it would stall every request). */
function inOneConnection<T>(rt: Runtime, fn: (db: Db) => Promise<T>): Promise<T> {
  if (rt.store.sqlite) return fn(rt.store.db);
  return rt.store.db.connection().execute(fn);
}

/**
 * The preview of a scope (issue 13 point 1: items, reviewers and their load, items without a
 * reviewer or falling to the fallback), computed as the start computes its snapshot but counted
 * inside the database, range by range: memory stays bounded by accounts and groups however
 * many memberships the scope holds. Writes nothing but temporary tables.
 */
export async function previewSnapshot(rt: Runtime, tenantId: string, input: CampaignInput, people?: People): Promise<PreviewCounts> {
  const facts = await load(rt, tenantId, input, people);
  const answer: PreviewCounts = { items: 0, byKind: new Map(), perReviewer: new Map(), unassigned: 0, unassignedSample: [], fallback: 0, fallbackSample: [] };
  await inOneConnection(rt, (db) => run(rt, db, tenantId, input, facts, { kind: 'preview', answer }));
  return answer;
}

/** An item of the preview's samples: whose access, to what, and why the mode found nobody. */
export interface PreviewSampleRow { connectionId: string; displayName: string; userName: string; resourceName: string; why: string | null }

export interface PreviewCounts {
  items: number;
  byKind: Map<string, number>;
  /** First-stage reviewer → items. */
  perReviewer: Map<string, number>;
  unassigned: number;
  unassignedSample: PreviewSampleRow[];
  fallback: number;
  fallbackSample: PreviewSampleRow[];
}

const SAMPLE = 20;

type Target = { kind: 'insert'; campaignId: string; nowMs: number } | { kind: 'preview'; answer: PreviewCounts };

async function run(rt: Runtime, db: Db, tenantId: string, input: CampaignInput, facts: SnapshotFacts, target: Target): Promise<SnapshotTotals> {
  // Unique names: two starts (or previews) at once on SQLite share the connection's temporary schema.
  const suffix = `_${target.kind === 'insert' ? target.campaignId.slice(-10).replace(/[^a-z0-9]/gi, '') : `p${randomBytes(5).toString('hex')}`}`;
  const name = (n: string) => `${n}${suffix}`;
  const t = (n: string) => sql.raw(name(n));
  await dropTables(db, t);
  try {
    await createTables(db, t);
    const tFill = performance.now();
    await fill(rt, db, t('cs_acct'), name('cs_acct'), ['seq', 'connection_id', 'account_id', 'identity_id', 'user_name', 'display_name', 'email', 'enabled', 'guest', 'department', 'dept_esc', 'dept_size', 'last_activity_at', 'mem_kind', 'search', 'rev', 'ok', 'spread', 'r1', 'r2', 'fb1', 'why1'],
      facts.accounts.map((a) => [a.seq, a.connectionId, a.accountId, a.identityId, a.userName, a.displayName, a.email, a.enabled, a.guest, a.department, a.deptEsc, a.deptSize, a.lastActivityAt, a.memKind, a.search, a.rev, a.ok, a.spread, a.r1, a.r2, a.fb1, a.why1]));
    await fill(rt, db, t('cs_res'), name('cs_res'), ['connection_id', 'resource_id', 'name', 'lname', 'chain_json', 'privileged', 'has_owners'],
      facts.resources.map((r) => [r.connectionId, r.resourceId, r.name, r.name.toLowerCase(), JSON.stringify([r.name]), r.privileged, r.hasOwners]));
    await fill(rt, db, t('cs_extra'), name('cs_extra'), ['seq', 'kind', 'resource_id', 'resource_name', 'lname', 'privileged', 'via', 'chain_json', 'via_group_id', 'since', 'last_activity_at', 'rev', 'ok'],
      facts.extras.map((e) => [e.acct.seq, e.kind, e.resourceId, e.resourceName, e.resourceName.toLowerCase(), e.privileged, e.via, e.chainJson, e.viaGroupId, e.since, e.lastActivityAt, e.rev, e.ok]));
    await fill(rt, db, t('cs_own'), name('cs_own'), ['stage', 'connection_id', 'resource_id', 'pos', 'user_id', 'n'], facts.owners.map((o) => [o.stage, o.connectionId, o.resourceId, o.pos, o.userId, o.n]));
    await fill(rt, db, t('cs_exc'), name('cs_exc'), ['stage', 'seq', 'resource_id', 'user_id', 'fb', 'why'], facts.exceptions.map((x) => [x.stage, x.acct.seq, x.resourceId, x.userId, x.fb, x.why]));
    // PostgreSQL's autovacuum never analyzes temporary tables: without statistics the planner
    // guesses a handful of rows and may scan the memberships once per account.
    const analyze = async (names: readonly string[]) => {
      if (!rt.store.sqlite) for (const n of names) await sql`ANALYZE ${t(n)}`.execute(db);
    };
    await analyze(TABLES.filter((n) => n !== 'cs_peers'));
    const accounts = facts.accounts.length;
    facts.accounts = [];
    facts.extras = [];
    rt.log.debug({ ms: Math.round(performance.now() - tFill) }, 'campaign facts written');

    const privilegedOnly = input.filters?.privilegedOnly === true;
    const memberType = facts.memberTypeNeeded.size > 0 ? sql`AND (m.member_type = 'account' OR a.connection_id NOT IN (${sql.join([...facts.memberTypeNeeded])}))` : sql``;
    // An account's direct memberships: the member index alone answers (member id, group id).
    const direct = (range: RawBuilder<unknown>) => sql`
      FROM ${t('cs_acct')} a
      JOIN dir_memberships m ON m.tenant_id = ${tenantId} AND m.connection_id = a.connection_id AND m.member_id = a.account_id ${memberType}
      LEFT JOIN ${t('cs_res')} r ON r.connection_id = a.connection_id AND r.resource_id = m.group_id
      WHERE a.mem_kind IS NOT NULL AND ${range} ${privilegedOnly ? sql`AND COALESCE(r.privileged, 0) = 1` : sql``}`;
    // Every item of a range of accounts: direct memberships joined in SQL, the rest from cs_extra.
    const source = (range: RawBuilder<unknown>) => sql`
      SELECT a.seq AS seq, a.mem_kind AS kind, m.group_id AS resource_id, COALESCE(r.name, m.group_id) AS resource_name, COALESCE(r.lname, LOWER(m.group_id)) AS lname,
        COALESCE(r.privileged, 0) AS privileged, 'direct' AS via, COALESCE(r.chain_json, '[]') AS chain_json, CAST(NULL AS TEXT) AS via_group_id, CAST(NULL AS TEXT) AS since,
        a.last_activity_at AS last_activity_at, a.rev AS rev, a.ok AS ok
      ${direct(range)}
      UNION ALL
      SELECT e.seq, e.kind, e.resource_id, e.resource_name, e.lname, e.privileged, e.via, e.chain_json, e.via_group_id, e.since, e.last_activity_at, e.rev, e.ok
      FROM ${t('cs_extra')} e JOIN ${t('cs_acct')} a ON a.seq = e.seq WHERE ${range}`;

    // Peers: how many enabled people of each department hold each resource (in scope, per
    // connection); the recommendation needs them, the preview does not.
    if (target.kind === 'insert') {
      const tPeers = performance.now();
      const cPeers = process.cpuUsage();
      const peerRange = sql`a.enabled = 1 AND a.department IS NOT NULL`;
      await sql`INSERT INTO ${t('cs_peers')} (connection_id, resource_id, department, n)
        SELECT connection_id, resource_id, department, SUM(n) FROM (
          SELECT a.connection_id AS connection_id, m.group_id AS resource_id, a.department AS department, COUNT(*) AS n ${direct(peerRange)} GROUP BY a.connection_id, m.group_id, a.department
          UNION ALL
          SELECT a.connection_id, e.resource_id, a.department, COUNT(*) FROM ${t('cs_extra')} e JOIN ${t('cs_acct')} a ON a.seq = e.seq WHERE ${peerRange} GROUP BY a.connection_id, e.resource_id, a.department
        ) g GROUP BY connection_id, resource_id, department`.execute(db);
      await analyze(['cs_peers']);
      rt.log.debug({ ms: Math.round(performance.now() - tPeers), cpuMs: cpuMs(cPeers) }, 'campaign peers counted');
    }

    const stages = [input.reviewers, input.secondStage ?? null];
    // Owner mode: the person's own exception row if one of the owners is themself, else the owner the spread picks, else the fallback.
    const exception = (stage: 1 | 2, col: string) => sql`(SELECT x.${sql.raw(col)} FROM ${t('cs_exc')} x WHERE x.stage = ${stage} AND x.seq = u.seq AND x.resource_id = u.resource_id)`;
    const hasException = (stage: 1 | 2) => sql`EXISTS (SELECT 1 FROM ${t('cs_exc')} x WHERE x.stage = ${stage} AND x.seq = u.seq AND x.resource_id = u.resource_id)`;
    const owner = (stage: 1 | 2) => sql`(SELECT o.user_id FROM ${t('cs_own')} o WHERE o.stage = ${stage} AND o.connection_id = a.connection_id AND o.resource_id = u.resource_id AND o.pos = a.spread % o.n)`;
    const reviewer = (stage: 1 | 2): RawBuilder<unknown> => {
      const mode = stages[stage - 1];
      const col = sql.raw(`r${stage}`);
      if (!mode) return sql`CAST(NULL AS TEXT)`;
      if (mode.mode !== 'owner') return sql`a.${col}`;
      return sql`CASE WHEN ${hasException(stage)} THEN ${exception(stage, 'user_id')} ELSE COALESCE(${owner(stage)}, a.${col}) END`;
    };
    const pe = sql`(a.department IS NOT NULL AND a.dept_size >= ${MIN_PEERS})`;
    const h = sql`COALESCE(p.n, 0)`;
    const few = sql`(${pe} AND ${h} * 10 < a.dept_size)`;
    const fewText = sentenceSql(peerSentence.few, h, sql`a.dept_size`, sql`a.dept_esc`);
    const heldText = sentenceSql(peerSentence.held, h, sql`a.dept_size`, sql`a.dept_esc`);

    if (target.kind === 'preview') return await previewRanges(db, t, accounts, stages[0]!.mode === 'owner', { source, reviewer, exception, hasException, owner }, target.answer);

    const { campaignId, nowMs } = target;
    const prefix = itemIdPrefix(campaignId);
    const now = nowIso(nowMs);
    let total = 0;
    const tInsert = performance.now();
    const cInsert = process.cpuUsage();
    for (let lo = 0; lo < accounts; lo += ACCOUNTS_PER_CHUNK) {
      const range = sql`a.seq >= ${lo} AND a.seq < ${lo + ACCOUNTS_PER_CHUNK}`;
      const q = sql`INSERT INTO campaign_items (tenant_id, id, campaign_id, connection_id, account_id, identity_id, user_name, display_name, email, enabled, guest, department, last_activity_at,
          kind, resource_id, resource_name, privileged, via, chain_json, via_group_id, since, search, recommendation, reasons_json, stage1_reviewer_id, stage2_reviewer_id, reviewer_id, review_state,
          remediation, updated_at)
        SELECT ${tenantId}, ${prefix} || ${base32Sql(sql`(u.rn + ${total - 1})`)}, ${campaignId}, a.connection_id, a.account_id, a.identity_id, a.user_name, a.display_name, a.email, a.enabled, a.guest, a.department, u.last_activity_at,
          u.kind, u.resource_id, u.resource_name, u.privileged, u.via, u.chain_json, u.via_group_id, u.since, a.search || u.lname,
          CASE WHEN u.rev <> '' OR ${few} THEN 'revoke' ELSE 'approve' END,
          CASE WHEN u.rev <> '' OR ${few}
            THEN '[' || u.rev || CASE WHEN ${few} THEN (CASE WHEN u.rev <> '' THEN ',' ELSE '' END) || ${fewText} ELSE '' END || ']'
            ELSE '[' || CASE WHEN ${pe} THEN (CASE WHEN u.ok <> '' THEN u.ok || ',' ELSE '' END) || ${heldText} WHEN u.ok <> '' THEN u.ok ELSE ${JSON.stringify(NO_RISK_SENTENCE)} END || ']' END,
          ${reviewer(1)}, ${reviewer(2)}, ${reviewer(1)}, 'pending', 'none', ${now}
        FROM (SELECT s.*, ROW_NUMBER() OVER (ORDER BY s.seq, s.kind, s.resource_name) AS rn FROM (${source(range)}) s) u
        JOIN ${t('cs_acct')} a ON a.seq = u.seq
        LEFT JOIN ${t('cs_peers')} p ON p.connection_id = a.connection_id AND p.resource_id = u.resource_id AND p.department = a.department`;
      const r = await q.execute(db);
      total += Number(r.numAffectedRows ?? 0n);
    }
    rt.log.debug({ ms: Math.round(performance.now() - tInsert), cpuMs: cpuMs(cInsert), items: total }, 'campaign items inserted');
    const unassigned = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM campaign_items WHERE tenant_id = ${tenantId} AND campaign_id = ${campaignId} AND reviewer_id IS NULL`.execute(db);
    return { items: total, assigned: total - Number(unassigned.rows[0]?.n ?? 0) };
  } finally {
    await dropTables(db, t);
  }
}

interface PreviewSql {
  source: (range: RawBuilder<unknown>) => RawBuilder<unknown>;
  reviewer: (stage: 1 | 2) => RawBuilder<unknown>;
  exception: (stage: 1 | 2, col: string) => RawBuilder<unknown>;
  hasException: (stage: 1 | 2) => RawBuilder<unknown>;
  owner: (stage: 1 | 2) => RawBuilder<unknown>;
}

/**
 * The preview's counts, range by range: the items the start would write, grouped by kind,
 * first-stage reviewer and whether the fallback stands in, and the first items (in the
 * snapshot's order) without a reviewer or falling to the fallback, with why.
 */
async function previewRanges(db: Db, t: (n: string) => RawBuilder<unknown>, accounts: number, ownerMode: boolean, q: PreviewSql, answer: PreviewCounts): Promise<SnapshotTotals> {
  // Why the fallback stands in (or nobody does) — snapshot-facts.ts fb1/why1: in owner mode
  // the account's row holds only the ending, the resource says whether it has owners at all.
  const noOwner = sql`(CASE WHEN ro.has_owners = 1 THEN ${"the resource's owners have no Syncwarden user"} ELSE ${'the resource has no owner'} END || a.why1)`;
  const fb = ownerMode ? sql`CASE WHEN ${q.hasException(1)} THEN ${q.exception(1, 'fb')} WHEN ${q.owner(1)} IS NOT NULL THEN 0 ELSE a.fb1 END` : sql`a.fb1`;
  const why = ownerMode ? sql`CASE WHEN ${q.hasException(1)} THEN ${q.exception(1, 'why')} WHEN ${q.owner(1)} IS NOT NULL THEN NULL ELSE ${noOwner} END` : sql`a.why1`;
  const rows = (range: RawBuilder<unknown>) => sql`SELECT u.seq AS seq, u.kind AS kind, u.resource_name AS resource_name, a.connection_id AS connection_id, a.display_name AS display_name, a.user_name AS user_name,
      ${q.reviewer(1)} AS reviewer, ${fb} AS fb, ${why} AS why
    FROM (${q.source(range)}) u JOIN ${t('cs_acct')} a ON a.seq = u.seq
    LEFT JOIN ${t('cs_res')} ro ON ro.connection_id = a.connection_id AND ro.resource_id = u.resource_id`;
  type Sample = { connection_id: string; display_name: string; user_name: string; resource_name: string; why: string | null };
  const sample = async (range: RawBuilder<unknown>, where: RawBuilder<unknown>, n: number): Promise<PreviewSampleRow[]> =>
    (await sql<Sample>`SELECT connection_id, display_name, user_name, resource_name, why FROM (${rows(range)}) i WHERE ${where} ORDER BY seq, kind, resource_name LIMIT ${n}`.execute(db)).rows
      .map((r) => ({ connectionId: r.connection_id, displayName: r.display_name, userName: r.user_name, resourceName: r.resource_name, why: r.why }));
  let total = 0;
  let assigned = 0;
  for (let lo = 0; lo < accounts; lo += ACCOUNTS_PER_CHUNK) {
    const range = sql`a.seq >= ${lo} AND a.seq < ${lo + ACCOUNTS_PER_CHUNK}`;
    const groups = await sql<{ kind: string; reviewer: string | null; fb: number | string; n: number | string }>`SELECT kind, reviewer, fb, COUNT(*) AS n FROM (${rows(range)}) i GROUP BY kind, reviewer, fb`.execute(db);
    let unassigned = 0;
    let fallback = 0;
    for (const g of groups.rows) {
      const n = Number(g.n);
      total += n;
      answer.byKind.set(g.kind, (answer.byKind.get(g.kind) ?? 0) + n);
      if (g.reviewer === null) unassigned += n;
      else {
        assigned += n;
        answer.perReviewer.set(g.reviewer, (answer.perReviewer.get(g.reviewer) ?? 0) + n);
      }
      if (Number(g.fb) === 1) fallback += n;
    }
    if (unassigned > 0 && answer.unassignedSample.length < SAMPLE) answer.unassignedSample.push(...(await sample(range, sql`reviewer IS NULL`, SAMPLE - answer.unassignedSample.length)));
    if (fallback > 0 && answer.fallbackSample.length < SAMPLE) answer.fallbackSample.push(...(await sample(range, sql`fb = 1`, SAMPLE - answer.fallbackSample.length)));
    answer.unassigned += unassigned;
    answer.fallback += fallback;
  }
  answer.items = total;
  return { items: total, assigned };
}

async function dropTables(db: Db, t: (n: string) => RawBuilder<unknown>): Promise<void> {
  for (const n of TABLES) await sql`DROP TABLE IF EXISTS ${t(n)}`.execute(db);
}
