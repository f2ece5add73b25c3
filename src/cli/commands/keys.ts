import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { masterKey } from '../../keys/keyring.js';
import { keyStatus } from '../../keys/status.js';
import { rotateKeys, type RotationProgress } from '../../keys/rotation.js';
import { retireKey } from '../../keys/retire.js';
import { AppError } from '../../errors/index.js';
import { table } from '../table.js';

/**
 * `syncwarden keys status|rotate|retire|generate`: the master keyring (src/keys/). Keys are never
 * printed, except by `generate`, whose job it is.
 */
export function registerKeyCommands(program: Command, cli: CliContext): void {
  const keys = program.command('keys').description('master keys: status, rotate (re-encrypt every stored secret under a new key), retire an old key, generate a key');

  keys
    .command('status')
    .description('key ids, the secrets sealed with each, running processes and their keys, rotations')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const s = await keyStatus(rt);
        if (o.json) return cli.out(JSON.stringify(s, null, 2));
        cli.out(`Keyring: ${s.keyring.source}${s.keyring.writable ? '' : ' (Syncwarden cannot change it: add keys yourself)'}`);
        cli.out(table(['key id', 'role', 'secrets', 'legacy secrets it opens'], s.keys.map((k) => [k.id, k.primary ? 'primary (seals)' : 'old (opens)', k.secrets, k.legacySecrets || ''])));
        const legacy = s.usage.reduce((n, u) => n + (u.byKey['legacy'] ?? 0), 0);
        if (legacy) cli.out(`${legacy} secret(s) were sealed before key ids existed (opened by trying each key).`);
        cli.out('');
        cli.out(table(['secrets', ...s.keys.map((k) => k.id), 'legacy'], s.usage.map((u) => [u.label, ...s.keys.map((k) => u.byKey[k.id] ?? 0), u.byKey['legacy'] ?? 0])));
        cli.out('');
        cli.out(s.processes.length ? table(['process', 'version', 'seals with', 'holds', 'seen'], s.processes.map((p) => [p.name, p.version, p.primary, p.keys.join(' '), p.seenAt])) : 'No running process holds a key.');
        if (s.rotations.length) {
          cli.out('');
          cli.out(table(['rotation', 'to key', 'state', 'started', 'progress', 'changed meanwhile', 'unreadable'], s.rotations.map((r) => [r.id, r.targetKeyId, r.state, r.startedAt, `${r.done}/${r.total}`, r.skipped, r.unreadable])));
        }
        for (const a of s.advice) cli.out(`\n→ ${a}`);
      });
    });

  keys
    .command('rotate')
    .description('add a new master key and re-encrypt every stored secret under it while Syncwarden keeps running; resumes an interrupted rotation')
    .option('--no-new-key', 're-encrypt under the keyring\'s current primary key instead of adding one (keyrings Syncwarden cannot write)')
    .option('--batch-size <n>', 'secrets per transaction', '50')
    .option('--rate <n>', 'at most this many secrets per second (gentler on a busy database)')
    .option('--wait <seconds>', 'how long to wait for every running process to hold the new key', '60')
    .option('--json', 'JSON output')
    .action(async (o: { newKey: boolean; batchSize: string; rate?: string; wait: string; json?: boolean }) => {
      const positive = (v: string | undefined, name: string): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new AppError('request.invalid', { detail: `${name} must be a positive number` });
        return n;
      };
      await cli.withRuntime(async ({ rt, keyHolder }) => {
        let lastTenth = -1;
        const progress = (p: RotationProgress) => {
          if (o.json) return;
          switch (p.phase) {
            case 'resuming':
              return cli.out(`Resuming the interrupted rotation ${p.rotation.id} to key ${p.rotation.target_kid} (${p.rotation.done} of ${p.rotation.total} done before).`);
            case 'key_added':
              return cli.out(`New key ${p.keyId} added first to ${p.path}; the old keys stay until retired.`);
            case 'waiting':
              return cli.out(`Waiting for every running process to hold the new key; not yet: ${p.missing.join(', ')}`);
            case 'reencrypting': {
              const tenth = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10);
              if (tenth !== lastTenth) cli.out(`Re-encrypting: ${p.done} of ${p.total}`);
              lastTenth = tenth;
              return;
            }
          }
        };
        const rate = positive(o.rate, '--rate');
        const r = await rotateKeys(rt, {
          newKey: o.newKey,
          holderId: keyHolder.id,
          onKeyringChanged: () => keyHolder.beat(),
          batchSize: positive(o.batchSize, '--batch-size')!,
          ...(rate ? { rowsPerSecond: rate } : {}),
          waitForHoldersMs: positive(o.wait, '--wait')! * 1000,
          actor: 'cli',
          onProgress: progress,
        });
        if (r.unreadable.length) cli.setExitCode(1);
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        cli.out(`Rotation ${r.id} complete: every stored secret readable is now sealed with key ${r.targetKeyId} (${r.reencrypted} re-encrypted${r.skipped ? `, ${r.skipped} changed by someone else meanwhile` : ''}).`);
        for (const u of r.unreadable) cli.out(`  cannot be opened with any key: ${u.what} ${u.row}`);
        if (!r.unreadable.length) cli.out('Run `syncwarden keys status` to see which old keys can now be retired.');
      });
    });

  keys
    .command('retire <keyId>')
    .description('remove an old key from the keyring once no stored secret and no process uses it')
    .option('--json', 'JSON output')
    .action(async (keyId: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const r = await retireKey(rt, keyId, 'cli');
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        cli.out(r.removed ? `Key ${r.keyId} retired and removed from ${r.source}.` : `Key ${r.keyId} is no longer used: remove it from ${r.source} on every process.`);
      });
    });

  keys
    .command('generate')
    .description('print a new random master key (for keyrings Syncwarden cannot write: the environment or a mounted file)')
    .action(() => {
      const k = masterKey(randomBytes(32));
      cli.out(k.key.toString('base64'));
      cli.out(`# key id ${k.id}: put it first in every process's keyring (keep the old key after it), restart them, then run \`syncwarden keys rotate --no-new-key\`.`);
    });
}
