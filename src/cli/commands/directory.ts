import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { Runtime } from '../../runtime/context.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { cliFix, AppError } from '../../errors/index.js';
import { resolveConnection } from '../resolve.js';
import { identitiesCsv, identityListSchema, listIdentities } from '../../directory/identities/queries.js';
import { identityDetail } from '../../directory/identities/detail.js';
import { setIdentityType } from '../../directory/identities/type-override.js';
import { explainIdentity } from '../../directory/correlation/explain.js';
import { describeRules, loadCorrelationSettings, ruleAttributes, saveCorrelationRules, type RuleAttribute } from '../../directory/correlation/rules.js';
import { directoryStatus, listDirectoryStatuses, listRuns } from '../../directory/views.js';
import { queueDirectorySync } from '../../directory/jobs.js';
import { approveHeldRemovals, rejectHeldRemovals } from '../../directory/sync/guard.js';
import { table } from '../table.js';

const T = DEFAULT_TENANT;

/** A connection named by id, name or the start of its name, as admins type it. */
const connectionId = (rt: Runtime, key: string): Promise<string> => resolveConnection(rt, T, key);

/**
 * The identity inventory from the command line: identities (list with filters or CSV, one
 * identity, "why is it missing or duplicated?"), directory sync status, sync now, history,
 * and the correlation rules. Tables for people, `--json` for scripts.
 */
export function registerDirectoryCommands(program: Command, cli: CliContext): void {
  const identities = program.command('identities').description('correlated identities across directory connections');
  identities
    .command('list')
    .description('identities, searchable and filterable; --csv prints every match as CSV')
    .option('--q <text>', 'search names, emails, user names, employee ids')
    .option('--connection <id|name>', 'only identities with an account in this connection')
    .option('--status <status>', 'active | disabled')
    .option('--type <type>', 'person | guest | service')
    .option('--limit <n>', 'rows to show', '50')
    .option('--csv', 'CSV of every match (no paging)')
    .option('--json', 'JSON output')
    .action(async (o: { q?: string; connection?: string; status?: string; type?: string; limit: string; csv?: boolean; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const query = parseList({ q: o.q, connection: o.connection ? await connectionId(rt, o.connection) : undefined, status: o.status, type: o.type, limit: o.limit });
        if (o.csv) return cli.out((await identitiesCsv(rt, T, query)).trimEnd());
        const r = await listIdentities(rt, T, query);
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        cli.out(table(['id', 'name', 'email', 'type', 'status', 'accounts', 'connections'], r.items.map((i) => [i.id, i.displayName, i.email ?? '', i.type, i.status, i.accounts, i.connections.map((c) => c.name).join(', ')])));
        cli.out(`${r.items.length} of ${r.total}${r.totalExact ? '' : '+'} identities`);
      });
    });

  identities
    .command('show <idOrEmail>')
    .description('one identity: accounts, groups (direct and nested), entitlements, credentials')
    .option('--json', 'JSON output')
    .action(async (key: string, o: { json?: boolean }) => {
      // Remotely (SYNCWARDEN_URL + SYNCWARDEN_TOKEN): the token's tenant, through the API.
      const detail = cli.remote ? async (fn: (d: Awaited<ReturnType<typeof identityDetail>>) => Promise<void>) => fn(await cli.callApi('GET', `/identities/${encodeURIComponent(key)}`))
        : async (fn: (d: Awaited<ReturnType<typeof identityDetail>>) => Promise<void>) => cli.withRuntime(async ({ rt }) => fn(await identityDetail(rt, T, key)));
      await detail(async (d) => {
        if (o.json) return cli.out(JSON.stringify(d, null, 2));
        cli.out(`${d.identity.displayName}${d.identity.email ? ` <${d.identity.email}>` : ''} — ${d.identity.type}, ${d.identity.status}${d.identity.employeeId ? `, employee id ${d.identity.employeeId}` : ''}`);
        cli.out('\nAccounts');
        cli.out(table(['connection', 'user name', 'email', 'type', 'enabled', 'matched by'], d.accounts.map((a) => [a.connectionName, a.userName, a.email ?? '', a.accountType, a.enabled ? 'yes' : 'no', a.matchedBy ? `${a.matchedBy.rule} = ${a.matchedBy.value}` : ''])));
        cli.out(`\nType: ${d.typeRule.explanation}`);
        if (d.groups.length) {
          cli.out('\nGroups');
          cli.out(table(['connection', 'group', 'via', 'path'], d.groups.map((g) => [g.connectionName, g.displayName, g.via, g.path.join(' → ')])));
        }
        if (d.entitlements.length) {
          cli.out('\nEntitlements');
          cli.out(table(['connection', 'entitlement', 'type', 'privileged', 'via'], d.entitlements.map((e) => [e.connectionName, e.displayName, e.entitlementType, e.privileged ? 'yes' : '', e.via === 'group' ? `group ${e.viaGroup}` : 'direct'])));
        }
        if (d.credentials.length) {
          cli.out('\nCredentials');
          cli.out(table(['id', 'type', 'status', 'created', 'last used'], d.credentials.map((c) => [c.externalId, c.credentialType, c.status, c.createdAt ?? '', c.lastUsedAt ?? 'never'])));
        }
      });
    });

  identities
    .command('type <idOrEmail> <type>')
    .description('override what an identity is: person, guest or service; "auto" follows the providers\' evidence again (audited)')
    .option('--reason <text>', 'why, for the audit log and the identity\'s detail')
    .option('--json', 'JSON output')
    .action(async (key: string, type: string, o: { reason?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const r = await setIdentityType(rt, T, key, { type, ...(o.reason ? { reason: o.reason } : {}) }, 'cli');
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        cli.out(r.explanation);
      });
    });

  identities
    .command('explain <query>')
    .description('why is an identity missing or duplicated? (email, user name or name)')
    .option('--json', 'JSON output')
    .action(async (query: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const e = await explainIdentity(rt, T, query);
        if (o.json) return cli.out(JSON.stringify(e, null, 2));
        cli.out(`Verdict: ${e.verdict}${e.found.length ? ` (${e.found.map((f) => f.displayName + (f.email ? ` <${f.email}>` : '')).join('; ')})` : ''}`);
        for (const line of e.explanation) cli.out(`- ${line}`);
        cli.out(table(['rule', 'on', 'matched', 'detail'], e.rules.map((r) => [r.rule, r.enabled ? 'yes' : 'no', r.matched ? 'yes' : 'no', r.detail])));
      });
    });

  const directory = program.command('directory').description('directory sync status, sync now, history and correlation rules');
  directory
    .command('status')
    .description('every directory connection: state, last sync, counts')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const all = await listDirectoryStatuses(rt, T);
        if (o.json) return cli.out(JSON.stringify(all, null, 2));
        if (all.length === 0) return cli.out('No directory connections.');
        cli.out(table(['connection', 'kind', 'state', 'message', 'accounts', 'groups'], all.map((s) => [s.connectionName, s.kind, s.state, s.message, s.counts?.accounts ?? '', s.counts?.groups ?? ''])));
      });
    });

  directory
    .command('sync <connection>')
    .description('sync a directory connection now (id or name); --wait runs it here to its end, then correlates')
    .option('--full', 'read everything')
    .option('--delta', 'read changes since the last sync')
    .option('--wait', 'run it in this process and wait for the result')
    .option('--json', 'JSON output')
    .action(async (key: string, o: { full?: boolean; delta?: boolean; wait?: boolean; json?: boolean }) => {
      if (o.full && o.delta) throw new AppError('request.invalid', { detail: 'give --full or --delta, not both' });
      const mode = o.full ? 'full' : o.delta ? 'delta' : 'auto';
      await cli.withRuntime(
        async ({ rt, worker }) => {
          const id = await connectionId(rt, key);
          await directoryStatus(rt, T, id); // a connection of another role: its error, before queueing
          let queued = await queueDirectorySync(rt, T, id, mode, 'manual');
          // Not queued: a sync of this connection is running (here or in another process); a
          // queued one would have taken the mode asked for. It may not be the mode asked for.
          const waitedFor = !queued && o.wait;
          if (waitedFor && !o.json) cli.out(`A sync of this connection is already running; waiting for it to end${mode === 'auto' ? '' : `, then running the ${mode} sync asked for`}.`);
          if (o.wait) {
            await untilNoSync(rt, id, () => worker!.drain());
            if (!queued && mode !== 'auto') {
              queued = await queueDirectorySync(rt, T, id, mode, 'manual');
              await untilNoSync(rt, id, () => worker!.drain());
            }
          }
          const status = await directoryStatus(rt, T, id);
          if (o.wait && status.lastRun?.error) cli.setExitCode(1);
          if (o.json) return cli.out(JSON.stringify({ queued, waitedForRunning: waitedFor, status }, null, 2));
          cli.out(
            o.wait
              ? `${status.connectionName}: ${status.message}`
              : queued
                ? `Sync of ${status.connectionName} queued (${mode}); a running Syncwarden picks it up.`
                : `A sync of ${status.connectionName} is already running${mode === 'auto' ? '' : `; the ${mode} sync was not queued: run this again when it ends, or add --wait to wait for it and then run the ${mode} sync`}.`,
          );
          const err = status.lastRun?.error;
          if (o.wait && err) {
            cli.out(`Error ${err.code}: ${err.title}\n  ${err.message}\n  Fix: ${cliFix(err)}`);
          }
        },
        o.wait ? { worker: { concurrency: 2 } } : {},
      );
    });

  for (const [name, fn, verb] of [['approve-removals', approveHeldRemovals, 'approved'], ['reject-removals', rejectHeldRemovals, 'rejected']] as const) {
    directory
      .command(`${name} <connection>`)
      .description(`${name.split('-')[0]} the removals the mass-removal guard held for a directory connection (id or name)`)
      .option('--json', 'JSON output')
      .action(async (key: string, o: { json?: boolean }) => {
        await cli.withRuntime(async ({ rt }) => {
          const id = await connectionId(rt, key);
          const out = await fn(rt, T, id, 'cli');
          const status = await directoryStatus(rt, T, id);
          if (o.json) return cli.out(JSON.stringify({ runId: out.runId, status }, null, 2));
          cli.out(`Held removals of ${status.connectionName} ${verb}.${verb === 'approved' ? ' The sync finishes and removes them when a Syncwarden worker runs it.' : ' Nothing was removed.'}`);
        });
      });
  }

  directory
    .command('history <connection>')
    .description('sync runs of a directory connection, newest first')
    .option('--limit <n>', 'runs to show', '20')
    .option('--json', 'JSON output')
    .action(async (key: string, o: { limit: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const runs = await listRuns(rt, T, await connectionId(rt, key), { limit: Number(o.limit) || 20 });
        if (o.json) return cli.out(JSON.stringify({ items: runs }, null, 2));
        if (runs.length === 0) return cli.out('Never synced.');
        cli.out(table(['started', 'mode', 'status', 'duration', 'read', 'added', 'changed', 'removed', 'error'], runs.map((r) => [r.startedAt, r.mode, r.status, r.durationMs === null ? '' : `${(r.durationMs / 1000).toFixed(1)} s`, r.objectsRead, r.added, r.changed, r.removed, r.error?.code ?? ''])));
      });
    });

  directory
    .command('rules')
    .description('correlation rules; --set lists the rules to turn on, in precedence order (the others are turned off)')
    .option('--set <attributes>', 'comma-separated: email, user_name, employee_id')
    .option('--json', 'JSON output')
    .action(async (o: { set?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const s = o.set === undefined ? await loadCorrelationSettings(rt, T) : await saveCorrelationRules(rt, T, { rules: rulesFromList(o.set) }, 'cli');
        if (o.json) return cli.out(JSON.stringify(s, null, 2));
        cli.out(`Rules: ${describeRules(s.rules)}`);
        cli.out(o.set === undefined ? `Last correlated: ${s.correlatedAt ?? 'never'}` : 'Saved; identities are recomputed by the next correlation job.');
      });
    });
}

function parseList(raw: Record<string, unknown>) {
  const r = identityListSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (!r.success) throw new AppError('request.invalid', { detail: r.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ') });
  return r.data;
}

/** 'email,employee_id' → email and employee id on in that order, user name off after them. */
export function rulesFromList(list: string): { attribute: RuleAttribute; enabled: boolean }[] {
  const on = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = on.filter((a) => !(ruleAttributes as readonly string[]).includes(a));
  if (unknown.length) throw new AppError('request.invalid', { detail: `--set: unknown rule ${unknown.join(', ')} (rules: ${ruleAttributes.join(', ')})` });
  const enabled = [...new Set(on)] as RuleAttribute[];
  return [...enabled.map((attribute) => ({ attribute, enabled: true })), ...ruleAttributes.filter((a) => !enabled.includes(a)).map((attribute) => ({ attribute, enabled: false }))];
}

/**
 * Waits until no sync of the connection is queued or running, anywhere: this process's worker
 * runs what it can claim (drain), and a sync leased by another process is waited for.
 */
async function untilNoSync(rt: Runtime, connectionId: string, drain: () => Promise<unknown>): Promise<void> {
  for (;;) {
    await drain();
    const active = await rt.store.db
      .selectFrom('jobs')
      .select('status')
      .where('tenant_id', '=', T)
      .where('dedupe_key', '=', `dirsync:${connectionId}`)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    if (!active) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}
