import { sql } from 'kysely';
import type { Runtime } from '../../runtime/context.js';
import type { DirectoryScope } from '../../connectors/sdk/index.js';
import { AppError } from '../../errors/index.js';
import { listDirectoryStatuses, type DirectoryStatusView } from '../views.js';
import { connectionRefs, viewIdentity, type IdentityRow } from '../identities/queries.js';
import { viewAccount, type AccountView } from '../identities/detail.js';
import { loadCorrelationSettings, RULE_LABELS, type RuleAttribute } from './rules.js';
import { allRules, compareAccounts, type RuleVerdict, type WhyAccount } from './why.js';

/**
 * "Why is an identity missing or duplicated?" (the seed article's question), answered from
 * the inventory: which connections hold an account for the query, which scope switch left one
 * out, which connection never synced or failed its last sync, and — for a person split into
 * several identities — which rule did not link them and why.
 */
export interface ExcludedView {
  reason: string;
  userName: string;
  email: string | null;
  displayName: string;
}

export interface ExplainConnection {
  id: string;
  name: string;
  kind: string;
  accounts: AccountView[];
  excluded: ExcludedView[];
  lastSyncAt: string | null;
  scope: DirectoryScope;
}

export interface RuleExplanation {
  rule: RuleAttribute;
  enabled: boolean;
  matched: boolean;
  detail: string;
}

export interface IdentityExplanation {
  query: string;
  found: IdentityRow[];
  verdict: 'found' | 'missing' | 'duplicated';
  connections: ExplainConnection[];
  rules: RuleExplanation[];
  explanation: string[];
}

const SWITCHES: Record<string, string> = { guest: 'Include guests', external: 'Include external identities', disabled: 'Include disabled accounts' };
const SCOPE_KEYS: Record<string, keyof DirectoryScope> = { guest: 'includeGuests', external: 'includeExternal', disabled: 'includeDisabled' };
const LIMIT = 200; // an explain is about one person: more matches than this is a query too broad to explain
const REASONS: Record<string, string> = { guest: 'it is a guest', external: 'it is an external identity', disabled: 'it is disabled' };

export async function explainIdentity(rt: Runtime, tenantId: string, rawQuery: string): Promise<IdentityExplanation> {
  const query = rawQuery.trim();
  if (!query) throw new AppError('request.invalid', { detail: 'q: give an email, a user name or a name' });
  const q = query.toLowerCase();
  const db = rt.store.db;
  const refs = await connectionRefs(rt, tenantId);
  const statuses = await listDirectoryStatuses(rt, tenantId);
  const { rules, correlatedAt } = await loadCorrelationSettings(rt, tenantId);

  // The query, and its local part: ann@x.test also finds ann@y.test (the usual split) and the
  // AWS user "ann"; a name finds every account with that display name.
  const local = q.includes('@') ? q.slice(0, q.indexOf('@')) : q;
  const localLike = `${local.replace(/[\\%_]/g, (c) => `\\${c}`)}@%`;
  const like = (col: string) => sql<boolean>`lower(${sql.ref(col)}) LIKE ${localLike} ESCAPE '\\'`;
  const where = sql<boolean>`(lower(email) = ${q} OR lower(user_name) = ${q} OR lower(display_name) = ${q} OR lower(user_name) = ${local} OR ${like('email')} OR ${like('user_name')})`;
  const matched = (await db.selectFrom('dir_accounts').selectAll().where('tenant_id', '=', tenantId).where(where).orderBy('connection_id').orderBy('external_id').limit(LIMIT).execute()).filter((a) => refs.has(a.connection_id));
  const excluded = (await db.selectFrom('dir_excluded').selectAll().where('tenant_id', '=', tenantId).where(where).orderBy('connection_id').orderBy('external_id').limit(LIMIT).execute()).filter((a) => refs.has(a.connection_id));

  const identityIds = [...new Set(matched.map((a) => a.identity_id).filter((x): x is string => !!x))];
  // Every account of the identities found, also those the query does not name (linked by
  // employee id under another email): "no account in X" must not be said of them.
  const linked = identityIds.length ? await db.selectFrom('dir_accounts').selectAll().where('tenant_id', '=', tenantId).where('identity_id', 'in', identityIds).execute() : [];
  const seen = new Set(matched.map((a) => `${a.connection_id}\u0001${a.external_id}`));
  const accounts = [...matched, ...linked.filter((a) => refs.has(a.connection_id) && !seen.has(`${a.connection_id}\u0001${a.external_id}`))];
  const identityRows = identityIds.length ? await db.selectFrom('identities').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', identityIds).orderBy('created_at').execute() : [];
  const found = identityRows.map((r) => viewIdentity(r, refs));
  const verdict = found.length === 0 ? 'missing' : found.length > 1 ? 'duplicated' : 'found';
  const views = accounts.map((a) => viewAccount(a, refs));
  const groups = new Map<string, AccountView[]>();
  accounts.forEach((a, i) => {
    const key = a.identity_id ?? `uncorrelated:${a.connection_id}:${a.external_id}`;
    groups.set(key, [...(groups.get(key) ?? []), views[i]!]);
  });
  const label = (a: AccountView) => `the "${a.connectionName}" account ${a.email ?? a.userName}`;

  const connections: ExplainConnection[] = statuses.map((s) => ({
    id: s.connectionId,
    name: s.connectionName,
    kind: s.kind,
    accounts: views.filter((a) => a.connectionId === s.connectionId),
    excluded: excluded.filter((e) => e.connection_id === s.connectionId).map((e) => ({ reason: e.reason, userName: e.user_name, email: e.email, displayName: e.display_name })),
    lastSyncAt: s.lastSuccessAt,
    scope: s.scope,
  }));

  const explanation: string[] = [];
  if (verdict === 'missing') explanation.push(accounts.length ? `Accounts match "${query}" but are not correlated yet: identities were last correlated ${correlatedAt ? `at ${correlatedAt}` : 'never'}; the next sync (or saving the rules) correlates them.` : `No synced account matches "${query}".`);
  else if (verdict === 'found') {
    const id = found[0]!;
    explanation.push(`"${query}" is one identity, ${id.displayName}, with ${id.accounts} account${id.accounts === 1 ? '' : 's'} in ${id.connections.map((c) => c.name).join(', ')}.`);
    for (const a of views.filter((v) => v.matchedBy)) explanation.push(`${cap(label(a))} is linked by the ${RULE_LABELS[a.matchedBy!.rule]} rule on ${a.matchedBy!.value}.`);
  } else explanation.push(`"${query}" matches ${found.length} identities (${found.map((f) => `${f.displayName}${f.email ? ` <${f.email}>` : ''}`).join('; ')}). If they are one person, the reasons below say why no rule linked them.`);

  const ruleAnswers = explainRules(rules, [...groups.values()], verdict, label, explanation);

  for (const s of statuses) explainConnection(s, connections.find((c) => c.id === s.connectionId)!, explanation);
  const without = connections.filter((c) => c.accounts.length === 0 && c.excluded.length === 0 && c.lastSyncAt);
  if (verdict !== 'missing' && without.length) explanation.push(`No account for "${query}" in ${without.map((c) => `"${c.name}"`).join(', ')}.`);
  return { query, found, verdict, connections, rules: ruleAnswers, explanation };
}

/** Per rule: did it link the accounts found, and if several identities, why not. */
function explainRules(
  rules: Parameters<typeof allRules>[0],
  groups: AccountView[][],
  verdict: IdentityExplanation['verdict'],
  label: (a: AccountView) => string,
  explanation: string[],
): RuleExplanation[] {
  const why = (a: AccountView): WhyAccount => ({ label: label(a), userName: a.userName, email: a.email, employeeId: a.employeeId });
  const used = new Set(groups.flat().map((a) => a.matchedBy?.rule).filter(Boolean));
  if (verdict !== 'duplicated') {
    return allRules(rules).map((r) => ({
      rule: r.attribute,
      enabled: r.enabled,
      matched: used.has(r.attribute),
      detail: !r.enabled ? `the ${RULE_LABELS[r.attribute].replace(' ', '-')} rule is turned off` : used.has(r.attribute) ? `linked accounts on their ${RULE_LABELS[r.attribute]}` : `linked no accounts of this person`,
    }));
  }
  // Duplicated: compare one account of each identity with one of every other (the first of
  // each, the same pair the admin sees first), and say rule by rule why they stayed apart.
  const heads = groups.map((list) => list[0]!);
  const verdicts: RuleVerdict[][] = [];
  for (let i = 0; i < heads.length; i++) {
    for (let j = i + 1; j < heads.length; j++) {
      const v = compareAccounts(why(heads[i]!), why(heads[j]!), rules);
      verdicts.push(v);
      explanation.push(`${cap(label(heads[i]!))} and ${label(heads[j]!)} are separate: ${v.map((x) => x.detail).join('; ')}.`);
    }
  }
  return allRules(rules).map((r) => {
    const details = [...new Set(verdicts.map((v) => v.find((x) => x.rule === r.attribute)!.detail))];
    return { rule: r.attribute, enabled: r.enabled, matched: used.has(r.attribute), detail: details.join('; ') };
  });
}

function explainConnection(s: DirectoryStatusView, c: ExplainConnection, out: string[]): void {
  const name = `"${s.connectionName}"`;
  if (s.state === 'never_synced' || (!s.lastSuccessAt && !s.lastRun)) {
    out.push(`${name} has never synced, so its accounts are not in the inventory yet: run a sync of it (Directory → Sync now, or \`syncwarden directory sync\`).`);
  } else if (s.lastRun?.status === 'failed' && s.lastRun.error) {
    out.push(`The last sync of ${name} failed with ${s.lastRun.error.code} (${s.lastRun.error.title}): ${s.lastRun.error.resolution} Until it succeeds, its accounts are as of ${s.lastSuccessAt ?? 'never'}.`);
  } else if (s.state === 'throttled') {
    out.push(`${name} is throttled by the provider; its sync resumes ${s.throttledUntil ?? 'shortly'} by itself.`);
  }
  for (const e of c.excluded) {
    const key = SCOPE_KEYS[e.reason];
    const who = `${e.displayName} (${e.email ?? e.userName})`;
    if (key && s.scope[key]) out.push(`${name} left out ${who} at its last sync because ${REASONS[e.reason] ?? e.reason}; the scope now includes it, so the next sync reads it.`);
    else out.push(`${name} leaves out ${who} because ${REASONS[e.reason] ?? e.reason}: turn on "${SWITCHES[e.reason] ?? e.reason}" in the connection's scope to include it.`);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
