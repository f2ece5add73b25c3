import type { Finding } from '../api-connections.js';
import { ErrorBox } from './ErrorBox.js';

const ICON = { pass: '✓', fail: '✕', warning: '!', skipped: '–' } as const;

/** The doctor's findings: one line per prerequisite, with the code, cause and fix when it did not pass. */
export function Findings({ findings, label }: { findings: Finding[]; label?: string }) {
  return (
    <ul className="findings" aria-label={label ?? 'Test results'}>
      {findings.map((f, i) => (
        <li key={`${f.check}-${i}`} className={`finding finding-${f.status}`}>
          <span className="finding-icon" aria-label={f.status}>{ICON[f.status]}</span>
          <span>
            {f.label}
            {f.detail && <small> — {f.detail}</small>}
            {f.error && f.status !== 'pass' && <ErrorBox error={f.error} compact />}
          </span>
        </li>
      ))}
    </ul>
  );
}
