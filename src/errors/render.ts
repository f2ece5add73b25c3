import { catalogue, type ErrorCode } from './catalogue.js';
import type { ErrorDefinition } from './definition.js';
import { renderText, type ErrorParams, type StoredError } from './app-error.js';

/** An error as an admin sees it: the shape the API returns and the UI shows. */
export interface RenderedError {
  code: ErrorCode;
  title: string;
  message: string;
  resolution: string;
  scope: string;
  retry: string;
}

/** Where the error is shown: the UI/API (default) or the command line (its own words for the fix). */
export type ErrorSurface = 'ui' | 'cli';

export function renderError(code: ErrorCode, params: ErrorParams = {}, surface: ErrorSurface = 'ui'): RenderedError {
  const def: ErrorDefinition = catalogue[code];
  return {
    code,
    title: def.title,
    message: renderText(def.cause, params),
    resolution: renderText(surface === 'cli' && def.cliResolution ? def.cliResolution : def.resolution, params),
    scope: def.scope,
    retry: def.retry,
  };
}

export function renderStored(stored: StoredError | null): RenderedError | null {
  return stored ? renderError(stored.code, stored.params) : null;
}
