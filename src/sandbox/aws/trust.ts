import type { RoleRec } from './records.js';
import type { AwsSim } from './sim.js';

/**
 * A role's trust policy as the active faults make it: aws.trust_broken names another
 * principal (as after the integration user was recreated or the policy was edited),
 * aws.external_id_mismatch expects another sts:ExternalId. GetRole shows the same document
 * AssumeRole evaluates, so a doctor that reads it sees what AWS sees.
 */
export function effectiveRole(sim: AwsSim, role: RoleRec): RoleRec {
  const broken = sim.fault('aws.trust_broken');
  const mismatch = sim.fault('aws.external_id_mismatch');
  const wildcard = sim.fault('aws.trust_wildcard');
  if (!broken && !mismatch && !wildcard) return role;
  const d = JSON.parse(role.trustDocument) as { Version: string; Statement: Record<string, unknown>[] };
  for (const s of d.Statement) {
    if (broken && s['Principal'] && typeof s['Principal'] === 'object') s['Principal'] = { AWS: `arn:aws:iam::${sim.world.accountId}:user/service-accounts/former-integration` };
    else if (wildcard && s['Principal'] && typeof s['Principal'] === 'object') s['Principal'] = { AWS: '*' };
    const cond = s['Condition'] as Record<string, Record<string, string>> | undefined;
    if (mismatch && cond?.['StringEquals']?.['sts:ExternalId']) cond['StringEquals']['sts:ExternalId'] = `${cond['StringEquals']['sts:ExternalId']}-rotated`;
  }
  return { ...role, trustDocument: JSON.stringify(d) };
}
