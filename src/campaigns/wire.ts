import type { AccessKind, CampaignStatus, Remediation, Verification, withDefaults } from './input.js';

/**
 * The campaign routes' answers as the web UI reads them. Types only, and importing nothing
 * but `input.ts` (zod's inferred types): the web client imports them from here, so a field the
 * server changes is a type error in the pages that read it instead of a blank cell.
 */

/** A Syncwarden user as the API shows a reviewer, owner or decider (contract: Person). */
export interface Person {
  userId: string;
  email: string;
  displayName: string;
}

export interface HeldReason { resource: string; connectionName: string; revoking: number; of: number; reason: string }

export interface CampaignView extends Omit<ReturnType<typeof withDefaults>, 'ownerUserId'> {
  ownerUserId: string;
  id: string; status: CampaignStatus; stage: 1 | 2; stages: 1 | 2;
  owner: Person; createdAt: string; startedAt: string | null; deadline: string | null; closedAt: string | null;
  occurrence: number; nextStartAt: string | null;
  totals: { items: number; decided: number; approved: number; revoked: number; open: number; removedElsewhere: number };
  remediation: { open: number; applying: number; success: number; error: number; manual: number };
  verification: { pending: number; verified: number; didNotStick: number };
  held: { reasons: HeldReason[] } | null;
  appliedAt: string | null; verifiedAt: string | null;
}

export interface ReviewItemView {
  id: string; campaignId: string; campaignName: string; stage: 1 | 2; deadline: string | null;
  identity: { id: string | null; displayName: string; email: string | null; accounts: { connectionId: string; connectionName: string; userName: string; enabled: boolean }[] };
  account: { connectionId: string; connectionName: string; externalId: string; userName: string; displayName: string; enabled: boolean; guest: boolean; lastActivityAt: string | null; department: string | null };
  access: { kind: AccessKind; resourceId: string; resourceName: string; privileged: boolean; via: 'direct' | 'group'; chain: string[]; since: string | null };
  recommendation: { decision: 'approve' | 'revoke'; reasons: string[] };
  reviewer: Person | null;
  decision: 'approve' | 'revoke' | null; justification: string | null; decidedAt: string | null; decidedBy: Person | null;
  firstStageDecision: { decision: 'approve' | 'revoke'; by: Person; justification: string | null } | null;
  closedReason: null | 'removed_elsewhere' | 'no_response';
  remediation: Remediation; remediationError: { code: string; title: string; message: string; resolution: string } | null;
  manualSteps: string | null; verification: Verification;
  /**
   * Whether a decision on this item needs a justification (the campaign's setting: on Revoke, or
   * always), so a client can ask for one before it submits rather than after a refusal.
   */
  justificationRequired: { approve: boolean; revoke: boolean };
}
