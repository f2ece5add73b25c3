import { catalogue, type ErrorCode } from './catalogue.js';
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

export function renderError(code: ErrorCode, params: ErrorParams = {}): RenderedError {
  const def = catalogue[code];
  return {
    code,
    title: def.title,
    message: renderText(def.cause, params),
    resolution: renderText(def.resolution, params),
    scope: def.scope,
    retry: def.retry,
  };
}

export function renderStored(stored: StoredError | null): RenderedError | null {
  return stored ? renderError(stored.code, stored.params) : null;
}
