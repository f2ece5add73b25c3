import type { HttpClientOptions } from '../connectors/sdk/index.js';
import { isGoogleThrottle } from '../connectors/google/index.js';

/** The HTTP client settings each connector kind needs (provider name, throttle signals). */
export function httpOptionsFor(kind: string): HttpClientOptions {
  switch (kind) {
    case 'microsoft365':
      return { provider: 'Microsoft 365' };
    case 'google_workspace':
      return { provider: 'Google Workspace', isThrottle: isGoogleThrottle };
    default:
      return { provider: kind };
  }
}
