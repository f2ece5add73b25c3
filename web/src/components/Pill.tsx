import { STATUS_LABELS } from '../format.js';

/** A status pill coloured by status; data-status carries the raw value for tests and styling. */
export function Pill({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`pill pill-${status}`} data-status={status}>
      {label ?? STATUS_LABELS[status] ?? status}
    </span>
  );
}
