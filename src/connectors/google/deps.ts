import type { ConnectorContext } from '../sdk/index.js';
import type { GoogleConnectorConfig, GoogleEndpoints } from './config.js';
import type { TokenSource } from './token.js';

/** What the Directory, Gmail and checks modules need from one connector instance. */
export interface GoogleDeps {
  readonly ctx: ConnectorContext;
  readonly config: GoogleConnectorConfig;
  readonly endpoints: GoogleEndpoints;
  readonly tokens: TokenSource;
  /** Rate-budget key of the project whose Gmail quota the calls spend. */
  readonly project: string;
}
