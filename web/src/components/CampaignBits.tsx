import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { percent, REMEDIATION_LABELS, VERIFICATION_LABELS, type Campaign, type Remediation, type Verification } from '../campaigns-api.js';
import { formatCount } from '../format.js';
import { Pill } from './Pill.js';

/** The value after a pause in typing (search boxes, the scope preview). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** `#/<base>/<a>/<b>` → ['<a>', '<b>'], following the hash. */
export function useHashParts(base: string): string[] {
  const read = () => {
    const h = window.location.hash.replace(/^#/, '').split('?')[0]!;
    if (!h.startsWith(base)) return [];
    return h.slice(base.length).split('/').filter(Boolean).map(decodeURIComponent);
  };
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const on = () => setParts(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parts;
}

/** A failure as the error box shows it (a catalogue error, or the network). */
export function asError(e: unknown): RenderedError {
  return e instanceof ApiError ? e.error : { code: 'network', title: 'Request failed', message: String(e), resolution: 'Check that the server is running, then try again.' };
}

/** decided / total as a bar with its numbers. */
export function ProgressBar({ done, total, label }: { done: number; total: number; label: string }) {
  const pct = percent(done, total);
  return (
    <div className="campaign-progress">
      <div className="progress" role="progressbar" aria-label={label} aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-valuetext={`${done} of ${total} decided`}>
        <div style={{ width: `${pct}%` }} />
      </div>
      <small>{formatCount(done)} / {formatCount(total)} decided · {pct} %</small>
    </div>
  );
}

export function StatusPill({ status, label }: { status: Campaign['status']; label: string }) {
  return <Pill status={`campaign-${status}`} label={label} />;
}

export function RemediationPill({ value }: { value: Remediation }) {
  if (value === 'none') return <span className="muted">—</span>;
  return <Pill status={`rem-${value}`} label={REMEDIATION_LABELS[value]} />;
}

export function VerificationPill({ value }: { value: Verification }) {
  if (!value) return <span className="muted">—</span>;
  return <Pill status={`ver-${value}`} label={VERIFICATION_LABELS[value] ?? value} />;
}

/** "3 errors, 2 manual, 10 done" — what remediation still needs. */
export function remediationSummary(c: Campaign): string {
  const r = c.remediation;
  const parts: string[] = [];
  if (r.error) parts.push(`${r.error} error${r.error === 1 ? '' : 's'}`);
  if (r.manual) parts.push(`${r.manual} manual`);
  if (r.applying) parts.push(`${r.applying} applying`);
  if (r.open) parts.push(`${r.open} to apply`);
  if (r.success) parts.push(`${r.success} done`);
  if (c.verification.didNotStick) parts.push(`${c.verification.didNotStick} did not stick`);
  return parts.length ? parts.join(', ') : '—';
}
