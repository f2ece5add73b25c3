import type { RenderedError } from '../api.js';

/** A catalogue error as an admin needs it: what, why, and the fix. */
export function ErrorBox({ error, compact }: { error: RenderedError; compact?: boolean }) {
  return (
    <div className={`error-box${compact ? ' compact' : ''}`}>
      <div className="error-title">
        {error.title} <code>{error.code}</code>
      </div>
      <div className="error-message">{error.message}</div>
      <div className="error-fix">
        <strong>Fix:</strong> {error.resolution}
      </div>
    </div>
  );
}
