// Typed client of the failover and recovery routes (docs/api.md "Failover and reverse recovery").
import { call, type RenderedError } from './api.js';

export type FailoverState = 'proposed' | 'active' | 'recovering' | 'recovered' | 'dismissed';
export interface Failover {
  id: string; policyId: string; policyName: string; state: FailoverState; origin: 'declared' | 'proposed';
  outageSince: string; reason: string | null; proposedAt: string | null; declaredAt: string | null; declaredBy: string | null;
  lastProbeAt: string | null; lastProbeError: { code: string } | null; healthySince: string | null; nextProbeAt: string | null;
  recoveryStartedAt: string | null; recoveredAt: string | null; endedAt: string | null; banner: string | null;
  totals: { users: number; found: number; written: number; skipped: number; failed: number; recovered: number; failedUsers: number; recovering: number };
}
export interface FailoverSettings { propose: boolean; proposeAfterMinutes: number; autoRecover: boolean; autoRecoverAfterMinutes: number }
export type RecoveryStatus = 'pending' | 'recovering' | 'throttled' | 'recovered' | 'failed';
export interface RecoveryUser {
  id: string; syncUserId: string; email: string; googleEmail: string; status: RecoveryStatus; phase: string;
  found: number; written: number; skipped: number; failed: number; bytes: number; progress: number;
  error: { code: string } | null; historyExpired: boolean; startedAt: string | null; finishedAt: string | null; nextRunAt: string | null;
}
export interface RecoveryItem {
  id: string; gmailId: string; internetMessageId: string | null; state: 'found' | 'pending' | 'written' | 'skipped' | 'failed';
  skipReason: string | null; folder: string | null; subject: string | null; size: number | null; receivedAt: string | null; error: { code: string } | null; updatedAt: string;
}

export const failover = {
  open: () => call<{ failovers: Failover[] }>('GET', '/failovers'),
  ofPolicy: (policyId: string) => call<{ current: Failover | null; history: Failover[]; settings: FailoverSettings }>('GET', `/policies/${policyId}/failover`),
  declare: (policyId: string, body: { since?: string; reason?: string }) => call<Failover>('POST', `/policies/${policyId}/failover/declare`, body),
  end: (policyId: string) => call<Failover>('POST', `/policies/${policyId}/failover/end`),
  probe: (policyId: string) => call<Failover>('POST', `/policies/${policyId}/failover/probe`),
  recover: (policyId: string) => call<Failover>('POST', `/policies/${policyId}/failover/recover`),
  saveSettings: (policyId: string, body: Partial<FailoverSettings>) => call<FailoverSettings>('PATCH', `/policies/${policyId}/failover/settings`, body),
  report: (policyId: string, failoverId: string) => call<{ failover: Failover; users: RecoveryUser[] }>('GET', `/policies/${policyId}/recovery?failoverId=${encodeURIComponent(failoverId)}`),
  items: (policyId: string, recoveryUserId: string, state?: string) =>
    call<{ items: RecoveryItem[]; total: number }>('GET', `/policies/${policyId}/recovery/users/${recoveryUserId}/items?limit=500${state ? `&state=${state}` : ''}`),
  csvUrl: (policyId: string, failoverId: string) => `/api/v1/policies/${policyId}/recovery.csv?failoverId=${encodeURIComponent(failoverId)}`,
};

export type { RenderedError };
