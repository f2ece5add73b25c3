import { AppError } from '../../errors/index.js';
import { AwsCallError } from './errors.js';
import { generateCredentialReport, getCredentialReport } from './iam.js';
import type { AwsSession } from './session.js';
import { badResponse } from './xml.js';

/**
 * The IAM credential report: key last use and password last use for every user in two or
 * three calls, instead of a GetAccessKeyLastUsed per key (hours on a large account). IAM keeps
 * one report per account and regenerates it at most every 4 hours, so its figures can be up
 * to 4 hours old — the same lag AWS documents for last-used data anyway.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 */
export interface ReportKey {
  readonly active: boolean;
  /** Creation (or last rotation) time: how a key of ListAccessKeys is matched to its slot. */
  readonly lastRotated: string | null;
  readonly lastUsedAt: string | null;
  readonly region: string | null;
  readonly service: string | null;
}

export interface ReportUser {
  readonly passwordLastUsedAt: string | null;
  readonly keys: readonly ReportKey[];
}

export interface CredentialReport {
  readonly generatedAt: string | null;
  /** By user ARN. */
  readonly users: ReadonlyMap<string, ReportUser>;
}

/** How long a sync waits for IAM to generate the report before reading key use key by key. */
export const REPORT_WAIT_MS = 60_000;
const POLL_MS = 1_000;

/** Values the report uses for "nothing": never used, no password, not tracked. */
const value = (v: string | undefined): string | null => (v === undefined || v === '' || v === 'N/A' || v === 'no_information' || v === 'not_supported' ? null : v);

/** The report writes '2026-12-03T14:44:55+00:00'; IAM's other answers '…Z'. One form for both. */
function isoDate(v: string | null): string | null {
  if (v === null) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}

/** Parses the report's CSV (RFC 4180; IAM's own fields hold no quotes or commas, quoted ones are handled anyway). */
export function parseCredentialReport(csv: string, generatedAt: string | null): CredentialReport {
  const rows = parseCsv(csv);
  const header = rows[0];
  if (!header) throw badResponse('GetCredentialReport answered an empty report');
  const col = (name: string): number => header.indexOf(name);
  const [iArn, iPwd] = [col('arn'), col('password_last_used')];
  if (iArn < 0) throw badResponse('GetCredentialReport answered a report without an arn column');
  const slots = [1, 2].map((n) => ({
    active: col(`access_key_${n}_active`),
    rotated: col(`access_key_${n}_last_rotated`),
    used: col(`access_key_${n}_last_used_date`),
    region: col(`access_key_${n}_last_used_region`),
    service: col(`access_key_${n}_last_used_service`),
  }));
  const users = new Map<string, ReportUser>();
  for (const r of rows.slice(1)) {
    const arn = r[iArn];
    if (!arn || !arn.includes(':user/')) continue; // the <root_account> row, blank lines
    const keys: ReportKey[] = [];
    for (const s of slots) {
      if (s.active < 0) continue;
      const rotated = value(r[s.rotated]);
      if (rotated === null && r[s.active] !== 'true') continue; // an empty slot
      keys.push({ active: r[s.active] === 'true', lastRotated: isoDate(rotated), lastUsedAt: isoDate(value(r[s.used])), region: value(r[s.region]), service: value(r[s.service]) });
    }
    users.set(arn, { passwordLastUsedAt: iPwd >= 0 ? isoDate(value(r[iPwd])) : null, keys });
  }
  return { generatedAt, users };
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Generates (if needed) and reads the report. Null when the caller may not generate or read it
 * (the sync then reads key use key by key, as before) or when IAM did not finish in time.
 */
export async function readCredentialReport(s: AwsSession, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<CredentialReport | null> {
  const started = Date.now();
  let generated = false;
  for (;;) {
    try {
      if (!generated) {
        const g = await generateCredentialReport(s);
        generated = g.value.State === 'COMPLETE';
        if (!generated) {
          if (Date.now() - started > REPORT_WAIT_MS) return null;
          await sleep(POLL_MS);
          continue;
        }
      }
      const r = await getCredentialReport(s);
      const csv = Buffer.from(r.value.Content, 'base64').toString('utf8');
      return parseCredentialReport(csv, r.value.GeneratedTime ?? null);
    } catch (e) {
      if (e instanceof AwsCallError && ['ReportNotPresent', 'ReportInProgress', 'ReportExpired'].includes(e.code)) {
        // Another reader's generation is under way, or ours aged out: generate and wait again.
        generated = false;
        if (Date.now() - started > REPORT_WAIT_MS) return null;
        await sleep(POLL_MS);
        continue;
      }
      // Not allowed to generate or read it: read key use key by key instead (the doctor names the permission).
      if (e instanceof AppError && e.code === 'aws.action_denied') return null;
      throw e;
    }
  }
}
