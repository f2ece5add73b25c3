import type { Params } from './query.js';
import type { AwsSim, Caller } from './sim.js';
import type { AccountWorld } from './world.js';
import type { XmlNode } from './xml.js';

/** One authenticated request, as an action handler sees it. */
export interface Call {
  readonly sim: AwsSim;
  readonly world: AccountWorld;
  readonly caller: Caller;
  readonly params: Params;
  /** Server clock. */
  readonly nowMs: number;
}

export interface ActionSpec {
  /** The IAM action the caller's identity policies must allow, e.g. 'iam:ListUsers'; none for GetCallerIdentity. */
  readonly permission?: string;
  /** The resource ARN the permission is checked on (IAM's AccessDenied message names it). */
  readonly resource?: (call: Call) => string;
  readonly handler: (call: Call) => XmlNode | null;
}
