import type { ActionSpec, Call } from './call.js';
import type { AccountWorld } from './world.js';
import { AwsError } from './xml.js';

/**
 * The IAM credential report, as IAM serves it (API_GenerateCredentialReport,
 * API_GetCredentialReport, id_credentials_getting-report.html):
 * - GenerateCredentialReport starts a generation (State STARTED), answers INPROGRESS while it
 *   runs and COMPLETE once a report exists; a report less than 4 hours old is not regenerated.
 * - GetCredentialReport answers the CSV, base64 in <Content>, with <GeneratedTime>; 410
 *   ReportNotPresent before any generation, 404 ReportInProgress while the first one runs, 410
 *   ReportExpired once the report is older than 4 hours.
 * The report is a snapshot taken when the generation completes. Generation takes
 * `REPORT_GENERATION_MS` (the real one: seconds to minutes).
 */
export const REPORT_GENERATION_MS = 400;
export const REPORT_FRESH_MS = 4 * 3_600_000;

interface ReportState {
  startedMs: number | null;
  generatedMs: number | null;
  csv: string | null;
}
const reports = new WeakMap<AccountWorld, ReportState>();

const COLUMNS = [
  'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed', 'password_next_rotation', 'mfa_active',
  'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'access_key_1_last_used_region', 'access_key_1_last_used_service',
  'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date', 'access_key_2_last_used_region', 'access_key_2_last_used_service',
  'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated',
];

/** The report's dates: ISO 8601 with a +00:00 offset, seconds precision. */
const reportDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

function stateOf(world: AccountWorld): ReportState {
  let s = reports.get(world);
  if (!s) reports.set(world, (s = { startedMs: null, generatedMs: null, csv: null }));
  return s;
}

/** Completes a generation whose time has come: the snapshot is the world at that moment. */
function settle(world: AccountWorld, nowMs: number): ReportState {
  const s = stateOf(world);
  if (s.startedMs !== null && nowMs - s.startedMs >= REPORT_GENERATION_MS) {
    s.csv = renderReport(world, s.startedMs + REPORT_GENERATION_MS);
    s.generatedMs = s.startedMs + REPORT_GENERATION_MS;
    s.startedMs = null;
  }
  return s;
}

export function renderReport(world: AccountWorld, atMs: number): string {
  const lines = [COLUMNS.join(',')];
  const root = ['<root_account>', `arn:aws:iam::${world.accountId}:root`, reportDate(atMs - 365 * 86_400_000), 'not_supported', 'no_information', 'not_supported', 'not_supported', 'true', 'false', 'N/A', 'N/A', 'N/A', 'N/A', 'false', 'N/A', 'N/A', 'N/A', 'N/A', 'false', 'N/A', 'false', 'N/A'];
  lines.push(root.join(','));
  for (let pos = 0; pos < world.userPositions(); pos++) {
    const u = world.userAtPosition(pos);
    if (!u) continue;
    const hasPassword = u.passwordLastUsedMs !== null;
    const row = [u.userName, u.arn, reportDate(u.createDateMs), String(hasPassword), hasPassword ? reportDate(u.passwordLastUsedMs!) : 'N/A', hasPassword ? reportDate(u.createDateMs) : 'N/A', 'N/A', 'false'];
    // Two key slots, oldest first (IAM allows two keys per user).
    const keys = world.keysOf(u.userName).slice().sort((a, b) => a.createDateMs - b.createDateMs).slice(0, 2);
    for (let i = 0; i < 2; i++) {
      const k = keys[i];
      if (!k) row.push('false', 'N/A', 'N/A', 'N/A', 'N/A');
      else row.push(String(k.status === 'Active'), reportDate(k.createDateMs), k.lastUsed ? reportDate(k.lastUsed.dateMs) : 'N/A', k.lastUsed?.region ?? 'N/A', k.lastUsed?.service ?? 'N/A');
    }
    row.push('false', 'N/A', 'false', 'N/A');
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

const account = (c: Call): string => `arn:aws:iam::${c.world.accountId}:*`;

export const credentialReportActions: Record<string, ActionSpec> = {
  GenerateCredentialReport: {
    permission: 'iam:GenerateCredentialReport',
    resource: () => '*',
    handler: (c) => {
      const s = settle(c.world, c.nowMs);
      if (s.startedMs !== null) return { State: 'INPROGRESS', Description: 'Report generation in progress. Please wait.' };
      if (s.generatedMs !== null && c.nowMs - s.generatedMs < REPORT_FRESH_MS) return { State: 'COMPLETE' };
      s.startedMs = c.nowMs;
      return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
    },
  },
  GetCredentialReport: {
    permission: 'iam:GetCredentialReport',
    resource: account,
    handler: (c) => {
      const s = settle(c.world, c.nowMs);
      if (s.csv === null || s.generatedMs === null) {
        if (s.startedMs !== null) throw new AwsError(404, 'ReportInProgress', 'Report generation in progress. Please wait.');
        throw new AwsError(410, 'ReportNotPresent', 'Credential report not present. Use GenerateCredentialReport to generate a report.');
      }
      if (c.nowMs - s.generatedMs >= REPORT_FRESH_MS) throw new AwsError(410, 'ReportExpired', 'Credential report is expired. Use GenerateCredentialReport to generate a new report.');
      return { Content: Buffer.from(s.csv).toString('base64'), ReportFormat: 'text/csv', GeneratedTime: new Date(s.generatedMs).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    },
  },
};
