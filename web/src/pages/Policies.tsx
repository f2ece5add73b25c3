import { useState } from 'react';
import { api, ApiError, type Connection, type RenderedError } from '../api.js';
import { useData } from '../components/useData.js';
import { Dialog } from '../components/Dialog.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { Pill } from '../components/Pill.js';
import { useToast } from '../components/Toasts.js';
import { relativeTime } from '../format.js';

const lines = (s: string) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

function PolicyForm({ connections, onClose, onSaved }: { connections: Connection[]; onClose: () => void; onSaved: () => void }) {
  const sources = connections.filter((c) => c.role === 'continuity_source');
  const dests = connections.filter((c) => c.role === 'continuity_destination');
  const [name, setName] = useState('All users');
  const [source, setSource] = useState(sources[0]?.id ?? '');
  const [dest, setDest] = useState(dests[0]?.id ?? '');
  const [mode, setMode] = useState<'all' | 'list'>('all');
  const [include, setInclude] = useState('');
  const [exclude, setExclude] = useState('');
  const [schedule, setSchedule] = useState(15);
  const [windowDays, setWindowDays] = useState(30);
  const [enabled, setEnabled] = useState(true);
  const [error, setError] = useState<RenderedError | null>(null);
  async function save() {
    try {
      await api.createPolicy({
        name, sourceConnectionId: source, destinationConnectionId: dest,
        selection: { mode, include: lines(include), exclude: lines(exclude) },
        scheduleMinutes: schedule, initialWindowDays: windowDays, enabled,
      });
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Save failed', message: String(e), resolution: 'Try again.' });
    }
  }
  return (
    <Dialog title="Create policy" onClose={onClose} footer={<><button type="button" onClick={onClose}>Cancel</button><button type="button" className="primary" onClick={() => void save()}>Create</button></>}>
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
      <label>Source (Microsoft 365)<select value={source} onChange={(e) => setSource(e.target.value)}>{sources.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</select></label>
      <label>Destination (Google Workspace)<select value={dest} onChange={(e) => setDest(e.target.value)}>{dests.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</select></label>
      <label>Users<select value={mode} onChange={(e) => setMode(e.target.value as 'all' | 'list')}><option value="all">All users</option><option value="list">Only these users</option></select></label>
      {mode === 'list' && <label>Include (one email per line)<textarea rows={4} value={include} onChange={(e) => setInclude(e.target.value)} /></label>}
      <label>Exclude (one email per line)<textarea rows={2} value={exclude} onChange={(e) => setExclude(e.target.value)} /></label>
      <div className="row">
        <label>Sync every (minutes)<input type="number" min={1} value={schedule} onChange={(e) => setSchedule(Number(e.target.value))} /></label>
        <label>Initial window (days)<input type="number" min={1} value={windowDays} onChange={(e) => setWindowDays(Number(e.target.value))} /></label>
      </div>
      <label className="check"><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled</label>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}

export function PoliciesPage() {
  const policies = useData(() => api.policies(), [], 10_000);
  const connections = useData(() => api.connections(), []);
  const [creating, setCreating] = useState(false);
  const toast = useToast();
  const names = new Map(connections.data?.connections.map((c) => [c.id, c.name]));
  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      toast('success', ok);
      policies.reload();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Action failed');
    }
  };
  return (
    <section>
      <div className="page-header">
        <h1>Policies</h1>
        <button type="button" className="primary" disabled={!connections.data} onClick={() => setCreating(true)}>Create policy</button>
      </div>
      {policies.error && <ErrorBox error={policies.error} />}
      {policies.data && policies.data.policies.length === 0 && <Empty title="No policies yet">A policy chooses the users to keep in sync, from which source to which destination, and how often.</Empty>}
      {policies.data && policies.data.policies.length > 0 && (
        <table>
          <thead><tr><th>Name</th><th>Source → destination</th><th>Users</th><th>Schedule</th><th>Initial window</th><th>Status</th><th>Last / next cycle</th><th /></tr></thead>
          <tbody>
            {policies.data.policies.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td>{names.get(p.sourceConnectionId) ?? '…'} → {names.get(p.destinationConnectionId) ?? '…'}</td>
                <td>{p.selection.mode === 'all' ? 'All users' : `${p.selection.include.length} listed`}{p.selection.exclude.length ? `, ${p.selection.exclude.length} excluded` : ''}</td>
                <td>every {p.scheduleMinutes} min</td>
                <td>{p.initialWindowDays} days</td>
                <td><Pill status={p.enabled ? 'active' : 'not_tested'} label={p.enabled ? 'Enabled' : 'Disabled'} /></td>
                <td>{relativeTime(p.lastCycleAt)} / {p.enabled ? relativeTime(p.nextCycleAt) : '—'}</td>
                <td className="actions">
                  <button type="button" onClick={() => void act(() => api.setPolicyEnabled(p.id, !p.enabled), `Policy ${p.enabled ? 'disabled' : 'enabled'}`)}>{p.enabled ? 'Disable' : 'Enable'}</button>
                  <button type="button" onClick={() => void act(() => api.runPolicy(p.id), 'Sync cycle queued')}>Run now</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && connections.data && (
        <PolicyForm connections={connections.data.connections} onClose={() => setCreating(false)} onSaved={() => { setCreating(false); toast('success', 'Policy created'); policies.reload(); }} />
      )}
    </section>
  );
}
