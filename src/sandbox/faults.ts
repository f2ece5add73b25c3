/**
 * Fault injection: every cause in the help articles' troubleshooting tables can be switched
 * on per tenant scope (an Entra tenant id, a Google domain, an AWS account, a SCIM tenant,
 * or '*' for all). Simulators ask `active(scope, name)` at the point where the real service
 * would fail, and answer with the provider's real error shape.
 */
import { microsoftFaultNames } from './microsoft/fault-names.js';
import { googleFaultNames } from './google/fault-names.js';
import { awsFaultNames } from './aws/fault-names.js';
import { scimFaultNames } from './scim/fault-names.js';

/** Faults that any vendor's mailbox or service can suffer. */
const commonFaultNames = [
  // Items (continuity-sync-issues, "Data discrepancies"): added to source mailboxes
  'item.too_large', // params: { user: upn, count?: number }
  'item.encrypted',
  'item.unsupported_type',
  // Network, on any service
  'net.slow', // params: { ms: number }
  'net.drop', // params: { everyNth?: number } close the socket without answering
  'net.lost_success', // params: { everyNth?: number } perform the request, then drop the response
] as const;

/** One list per vendor (vendor folders own theirs), so vendors grow without touching each other. */
export const faultNames = [...microsoftFaultNames, ...googleFaultNames, ...awsFaultNames, ...scimFaultNames, ...commonFaultNames] as const;
export type FaultName = (typeof faultNames)[number];

export type FaultParams = Readonly<Record<string, string | number | boolean>>;

export interface ActiveFault {
  readonly scope: string;
  readonly name: FaultName;
  readonly params: FaultParams;
  /** How many times the fault was consulted while active; used for everyNth. */
  hits: number;
}

export function isFaultName(s: string): s is FaultName {
  return (faultNames as readonly string[]).includes(s);
}

export class FaultBoard {
  private readonly faults = new Map<string, ActiveFault>();

  set(scope: string, name: FaultName, params: FaultParams = {}): void {
    this.faults.set(key(scope, name), { scope, name, params, hits: 0 });
  }

  clear(scope?: string, name?: FaultName): void {
    for (const [k, f] of this.faults) {
      if ((scope === undefined || f.scope === scope) && (name === undefined || f.name === name)) this.faults.delete(k);
    }
  }

  /** The active fault for this scope (or '*'), or undefined. */
  get(scope: string, name: FaultName): ActiveFault | undefined {
    return this.faults.get(key(scope, name)) ?? this.faults.get(key('*', name));
  }

  /**
   * True when the fault should fire on this call. Honours params.everyNth (fire on every
   * Nth consultation) so "storms" can be partial.
   */
  fires(scope: string, name: FaultName): boolean {
    const f = this.get(scope, name);
    if (!f) return false;
    f.hits += 1;
    const every = typeof f.params['everyNth'] === 'number' ? (f.params['everyNth'] as number) : 1;
    return every <= 1 || f.hits % every === 0;
  }

  list(): ActiveFault[] {
    return [...this.faults.values()];
  }
}

function key(scope: string, name: FaultName): string {
  return `${scope}\u0000${name}`;
}
