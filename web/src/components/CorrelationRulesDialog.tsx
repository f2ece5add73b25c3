import { useState } from 'react';
import { ApiError } from '../api.js';
import { directoryApi, RULE_LABELS, type CorrelationRules } from '../directory-api.js';
import { Dialog } from './Dialog.js';
import { useToast } from './Toasts.js';

type Rule = CorrelationRules['rules'][number];

/**
 * Matching rules: which attributes make accounts of different directories one identity, in
 * precedence order. Saving is audited and re-matches every identity (ids stay the same).
 */
export function CorrelationRulesDialog({ initial, onClose, onSaved }: { initial: Rule[]; onClose: () => void; onSaved: () => void }) {
  const toast = useToast();
  const [rules, setRules] = useState<Rule[]>(initial.map((r) => ({ ...r })));
  const [saving, setSaving] = useState(false);
  const move = (i: number, by: -1 | 1) => {
    const next = [...rules];
    const [r] = next.splice(i, 1);
    next.splice(i + by, 0, r!);
    setRules(next);
  };
  async function save() {
    setSaving(true);
    try {
      await directoryApi.saveCorrelation(rules);
      toast('success', 'Matching rules saved — identities are being matched again');
      onSaved();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Saving the rules failed');
    } finally {
      setSaving(false);
    }
  }
  return (
    <Dialog
      title="Matching rules"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="button" className="primary" disabled={saving} onClick={() => void save()}>{saving ? 'Saving…' : 'Save rules'}</button>
        </>
      }
    >
      <p className="muted">Accounts in different directories that share an enabled attribute are one identity. The first rule that links an account is the one shown as "matched by".</p>
      <ol className="rules-list">
        {rules.map((r, i) => (
          <li key={r.attribute}>
            <label>
              <input type="checkbox" checked={r.enabled} onChange={(e) => setRules(rules.map((x, k) => (k === i ? { ...x, enabled: e.target.checked } : x)))} />
              {' '}Same {RULE_LABELS[r.attribute] ?? r.attribute}
            </label>
            <button type="button" className="link" aria-label={`Move ${RULE_LABELS[r.attribute]} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
            <button type="button" className="link" aria-label={`Move ${RULE_LABELS[r.attribute]} down`} disabled={i === rules.length - 1} onClick={() => move(i, 1)}>↓</button>
          </li>
        ))}
      </ol>
      {!rules.some((r) => r.enabled) && <p className="warn-text">With no rule enabled, every account is an identity of its own.</p>}
    </Dialog>
  );
}
