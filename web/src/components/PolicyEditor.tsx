import { formatTime } from '../format.js';
import { useState } from 'react';
import { ApiError, type Connection, type RenderedError } from '../api.js';
import { continuity, type AttributeRule, type PolicyFull, type PolicyPreview, type SelectionRule } from '../continuity-api.js';
import { Dialog } from './Dialog.js';
import { ErrorBox } from './ErrorBox.js';

const lines = (s: string) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);
const groupLines = (s: string) => s.split(/[\n,;]+/).map((x) => x.trim()).filter(Boolean);
const ATTRIBUTES = ['department', 'jobTitle', 'officeLocation', 'companyName', 'country', 'city', 'employeeType', 'usageLocation'];
const OPERATORS: AttributeRule['operator'][] = ['equals', 'notEquals', 'startsWith', 'contains'];

function errorOf(e: unknown): RenderedError {
  return e instanceof ApiError ? e.error : { code: 'network', title: 'Request failed', message: String(e), resolution: 'Try again.' };
}

function PreviewView({ p }: { p: PolicyPreview }) {
  return (
    <section className="preview" aria-label="Preview">
      <div><strong>{p.selected}</strong> user(s) selected (now {p.current}): <strong>+{p.added.length}</strong> added, <strong>−{p.removed.length}</strong> removed{p.returning.length ? `, ${p.returning.length} back` : ''}.</div>
      <div>Google accounts to create: <strong>{p.accountsToCreate}</strong>. Scheduled for deletion: <strong>{p.accountsToDelete.length}</strong>.</div>
      {p.held && <div className="warn-text">The mass-deletion guard would hold this cycle: {p.held.percent}% of users removed, above the {p.held.threshold}% limit. It waits for approval on this page.</div>}
      {p.added.length > 0 && (
        <details><summary>Added</summary><ul>{p.added.map((a) => <li key={a.email}>{a.email}{a.createsAccount && <small className="muted"> — creates {a.destinationEmail}</small>}</li>)}</ul></details>
      )}
      {p.removed.length > 0 && (
        <details open><summary>Removed</summary><ul>{p.removed.map((r) => <li key={r.email}>{r.email} <small className="muted">({r.reason.replace(/_/g, ' ')}{r.deleteAfter ? `; Google account deleted after ${formatTime(r.deleteAfter).slice(0, 10)}` : ''})</small></li>)}</ul></details>
      )}
    </section>
  );
}

/** Create or edit a policy: the user selection rule, schedule, window, lifecycle; preview before saving. */
export function PolicyEditor({ connections, policy, onClose, onSaved }: { connections: Connection[]; policy: PolicyFull | null; onClose: () => void; onSaved: (p: PolicyFull) => void }) {
  const sources = connections.filter((c) => c.role === 'continuity_source');
  const dests = connections.filter((c) => c.role === 'continuity_destination');
  const sel = policy?.selection;
  const [name, setName] = useState(policy?.name ?? 'All users');
  const [source, setSource] = useState(policy?.sourceConnectionId ?? sources[0]?.id ?? '');
  const [dest, setDest] = useState(policy?.destinationConnectionId ?? dests[0]?.id ?? '');
  const [mode, setMode] = useState<SelectionRule['mode']>(sel?.mode ?? 'all');
  const [include, setInclude] = useState(sel?.include.join('\n') ?? '');
  const [exclude, setExclude] = useState(sel?.exclude.join('\n') ?? '');
  const [groups, setGroups] = useState(sel?.groups.join('\n') ?? '');
  const [excludeGroups, setExcludeGroups] = useState(sel?.excludeGroups.join('\n') ?? '');
  const [attributes, setAttributes] = useState<AttributeRule[]>(sel?.attributes ?? []);
  const [schedule, setSchedule] = useState(policy?.scheduleMinutes ?? 15);
  const [windowDays, setWindowDays] = useState(policy?.initialWindowDays ?? 30);
  const [deleteAccounts, setDeleteAccounts] = useState(policy ? policy.deletionDelayDays !== null : false);
  const [deletionDelay, setDeletionDelay] = useState(policy?.deletionDelayDays ?? 30);
  const [massPercent, setMassPercent] = useState(policy?.massDeletionPercent ?? 10);
  const [enabled, setEnabled] = useState(policy?.enabled ?? true);
  const [error, setError] = useState<RenderedError | null>(null);
  const [preview, setPreview] = useState<PolicyPreview | null>(null);
  const [busy, setBusy] = useState(false);

  const selection = (): SelectionRule => ({ mode, include: lines(include), exclude: lines(exclude), groups: groupLines(groups), excludeGroups: groupLines(excludeGroups), attributes: attributes.filter((a) => a.value.trim()) });
  const body = () => ({
    name, sourceConnectionId: source, destinationConnectionId: dest, selection: selection(), scheduleMinutes: schedule, initialWindowDays: windowDays,
    deletionDelayDays: deleteAccounts ? deletionDelay : null, massDeletionPercent: massPercent, enabled,
  });
  async function doPreview() {
    setBusy(true);
    try {
      setPreview(await continuity.preview({ ...(policy ? { policyId: policy.id } : {}), sourceConnectionId: source, destinationConnectionId: dest, selection: selection(), deletionDelayDays: deleteAccounts ? deletionDelay : null, massDeletionPercent: massPercent }));
      setError(null);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  }
  async function save() {
    setBusy(true);
    try {
      onSaved(policy ? await continuity.editPolicy(policy.id, body()) : await continuity.createPolicy(body()));
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  }
  const setRule = (i: number, patch: Partial<AttributeRule>) => setAttributes(attributes.map((a, j) => (j === i ? { ...a, ...patch } : a)));
  return (
    <Dialog
      title={policy ? `Edit policy "${policy.name}"` : 'Create policy'}
      onClose={onClose}
      footer={<>
        <button type="button" onClick={onClose}>Cancel</button>
        <button type="button" disabled={busy} onClick={() => void doPreview()}>Preview</button>
        <button type="button" className="primary" disabled={busy} onClick={() => void save()}>{policy ? 'Save' : 'Create'}</button>
      </>}
    >
      <label><span>Name</span><input value={name} onChange={(e) => setName(e.target.value)} /></label>
      <div className="row">
        <label><span>Source (Microsoft 365)</span><select value={source} onChange={(e) => setSource(e.target.value)}>{sources.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</select></label>
        <label><span>Destination (Google Workspace)</span><select value={dest} onChange={(e) => setDest(e.target.value)}>{dests.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</select></label>
      </div>
      <fieldset className="rule-editor">
        <legend>Users</legend>
        <label><span>Select</span>
          <select aria-label="Select users" value={mode} onChange={(e) => setMode(e.target.value as SelectionRule['mode'])}>
            <option value="all">All users</option>
            <option value="rules">Users matching rules (groups, attributes)</option>
            <option value="list">Only these users</option>
          </select>
        </label>
        {mode === 'rules' && (
          <>
            <label><span>Members of any of these groups (name or id, one per line; nested groups count)</span><textarea rows={2} value={groups} onChange={(e) => setGroups(e.target.value)} /></label>
            <div className="attribute-rules">
              <span className="field-title">And every attribute condition</span>
              {attributes.map((a, i) => (
                <div className="row" key={i}>
                  <select aria-label="Attribute" value={a.attribute} onChange={(e) => setRule(i, { attribute: e.target.value })}>{ATTRIBUTES.map((x) => <option key={x}>{x}</option>)}</select>
                  <select aria-label="Operator" value={a.operator} onChange={(e) => setRule(i, { operator: e.target.value as AttributeRule['operator'] })}>{OPERATORS.map((x) => <option key={x}>{x}</option>)}</select>
                  <input aria-label="Value" value={a.value} onChange={(e) => setRule(i, { value: e.target.value })} />
                  <button type="button" aria-label="Remove condition" onClick={() => setAttributes(attributes.filter((_, j) => j !== i))}>×</button>
                </div>
              ))}
              <button type="button" onClick={() => setAttributes([...attributes, { attribute: 'department', operator: 'equals', value: '' }])}>Add condition</button>
            </div>
          </>
        )}
        <label><span>{mode === 'list' ? 'Include (one email per line)' : 'Also include (one email per line)'}</span><textarea rows={mode === 'list' ? 4 : 2} value={include} onChange={(e) => setInclude(e.target.value)} /></label>
        <label><span>Exclude (one email per line)</span><textarea rows={2} value={exclude} onChange={(e) => setExclude(e.target.value)} /></label>
        <label><span>Exclude members of these groups</span><textarea rows={1} value={excludeGroups} onChange={(e) => setExcludeGroups(e.target.value)} /></label>
      </fieldset>
      <div className="row">
        <label><span>Sync every (minutes)</span><input type="number" min={1} value={schedule} onChange={(e) => setSchedule(Number(e.target.value))} /></label>
        <label><span>Initial window (days)</span><input type="number" min={1} value={windowDays} onChange={(e) => setWindowDays(Number(e.target.value))} /></label>
      </div>
      <label className="check"><input type="checkbox" checked={deleteAccounts} onChange={(e) => setDeleteAccounts(e.target.checked)} /> Delete the Google accounts Syncwarden created when their users leave the policy</label>
      {deleteAccounts && <label><span>Deletion delay (days)</span><input type="number" min={0} value={deletionDelay} onChange={(e) => setDeletionDelay(Number(e.target.value))} /></label>}
      <label><span>Hold a cycle for approval when it would remove more than (% of users; 0 = never)</span><input type="number" min={0} max={100} value={massPercent} onChange={(e) => setMassPercent(Number(e.target.value))} /></label>
      <label className="check"><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled</label>
      {preview && <PreviewView p={preview} />}
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}
