import type { SandboxContext, VendorSandbox } from '../types.js';
import { awsAdmin } from './admin.js';
import { iamActions } from './iam.js';
import { withEveryIamAction } from './iam-reads.js';
import { queryService } from './service.js';
import { createAwsSim, type AwsSim } from './sim.js';
import { stsActions } from './sts.js';

/**
 * AWS's side of the sandbox: IAM (`aws_iam`, standing for https://iam.amazonaws.com) and
 * STS (`aws_sts`, https://sts.amazonaws.com), both speaking the query protocol with SigV4.
 */
export interface AwsDemo {
  readonly accountId: string;
  /** SigV4 region for both services (IAM is global and signs as us-east-1). */
  readonly region: 'us-east-1';
  readonly integrationUserName: string;
  readonly integrationUserArn: string;
  /** The integration user's access key (read-only allow-list plus sts:AssumeRole on the role). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Assumable by the integration user with the external id; reads and writes back. */
  readonly roleArn: string;
  readonly externalId: string;
  /** Customer-managed policies Syncwarden needs: read, and write-back. */
  readonly readPolicyArn: string;
  readonly writeBackPolicyArn: string;
}

export interface AwsSandbox extends VendorSandbox<AwsDemo> {
  /** The simulator's state, for tests in this folder. */
  readonly sim: AwsSim;
}

export async function createAwsSandbox(ctx: SandboxContext): Promise<AwsSandbox> {
  const sim = createAwsSim(ctx);
  const i = sim.world.base.integration;
  return {
    sim,
    services: { aws_iam: queryService(sim, 'iam', withEveryIamAction(iamActions)), aws_sts: queryService(sim, 'sts', stsActions) },
    admin: awsAdmin(sim),
    demo: {
      accountId: sim.world.accountId,
      region: 'us-east-1',
      integrationUserName: i.userName,
      integrationUserArn: i.userArn,
      accessKeyId: i.accessKeyId,
      secretAccessKey: i.secretAccessKey,
      roleArn: i.roleArn,
      externalId: i.externalId,
      readPolicyArn: i.readPolicyArn,
      writeBackPolicyArn: i.writeBackPolicyArn,
    },
  };
}
