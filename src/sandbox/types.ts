import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FaultBoard } from './faults.js';

/**
 * Each simulated provider service listens on its own loopback origin, as the real ones
 * live on their own hosts (login.microsoftonline.com, graph.microsoft.com, …). The keys are
 * the ones `syncwarden sandbox --json` prints.
 */
export const serviceNames = [
  'entra_login',
  'graph',
  'google_oauth',
  'google_iam',
  'google_apis',
  'aws_iam',
  'aws_sts',
  'scim',
  'admin',
] as const;
export type ServiceName = (typeof serviceNames)[number];

export type ServiceUrls = Readonly<Record<ServiceName, string>>;

export interface SandboxContext {
  /** Base URL of every service, e.g. urls.graph = 'http://127.0.0.1:41234' (no trailing slash). */
  readonly urls: ServiceUrls;
  readonly faults: FaultBoard;
  /** Deterministic seed for generated data. */
  readonly seed: number;
  /** Where to keep generated keys (and state) so they survive a restart; undefined = memory only. */
  readonly stateDir: string | undefined;
  /** Epoch milliseconds; injectable so tests can move time. */
  readonly now: () => number;
}

/**
 * A vendor's simulators. `admin` serves the vendor's part of the sandbox admin API
 * (under /<vendor>/… on the admin origin) and returns false for paths that are not its own.
 */
export interface VendorSandbox<Demo> {
  readonly services: Partial<Record<ServiceName, RequestListener>>;
  readonly admin?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  readonly demo: Demo;
}
