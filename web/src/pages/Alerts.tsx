import { useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { connApi, type Channel } from '../api-connections.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { useToast } from '../components/Toasts.js';
import { relativeTime } from '../format.js';
import '../connections.css';

function ChannelForm({ onSaved }: { onSaved: () => void }) {
  const [type, setType] = useState<'email' | 'webhook'>('email');
  const [f, setF] = useState<Record<string, string>>({ port: '587', security: 'starttls' });
  const [error, setError] = useState<RenderedError | null>(null);
  const set = (k: string) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  async function save() {
    setError(null);
    try {
      const body =
        type === 'email'
          ? { type, name: f['name'] ?? '', config: { host: f['host'] ?? '', port: Number(f['port'] ?? 587), security: f['security'], ...(f['user'] ? { user: f['user'] } : {}), from: f['from'] ?? '', to: (f['to'] ?? '').split(/[,\s]+/).filter(Boolean) }, ...(f['password'] ? { password: f['password'] } : {}) }
          : { type, name: f['name'] ?? '', config: { url: f['url'] ?? '' }, secret: f['secret'] ?? '' };
      await connApi.createChannel(body);
      setF({ port: '587', security: 'starttls' });
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Save failed', message: String(e), resolution: 'Try again.' });
    }
  }
  return (
    <div className="panel channel-form">
      <h2>Add a channel</h2>
      <div className="row">
        <label><span>Type</span><select aria-label="Channel type" value={type} onChange={(e) => setType(e.target.value as 'email' | 'webhook')}><option value="email">Email (SMTP)</option><option value="webhook">Webhook (signed JSON)</option></select></label>
        <label><span>Name</span><input aria-label="Channel name" value={f['name'] ?? ''} onChange={set('name')} /></label>
      </div>
      {type === 'email' ? (
        <>
          <div className="row">
            <label><span>SMTP host</span><input aria-label="SMTP host" value={f['host'] ?? ''} onChange={set('host')} /></label>
            <label><span>Port</span><input aria-label="SMTP port" value={f['port'] ?? ''} onChange={set('port')} /></label>
            <label><span>Security</span><select aria-label="SMTP security" value={f['security']} onChange={set('security')}><option value="starttls">STARTTLS (587)</option><option value="tls">TLS (465)</option><option value="none">None (local relay)</option></select></label>
          </div>
          <div className="row">
            <label><span>User</span><input aria-label="SMTP user" value={f['user'] ?? ''} onChange={set('user')} /></label>
            <label><span>Password</span><input type="password" autoComplete="off" aria-label="SMTP password" value={f['password'] ?? ''} onChange={set('password')} /></label>
          </div>
          <div className="row">
            <label><span>From</span><input aria-label="From" value={f['from'] ?? ''} onChange={set('from')} /></label>
            <label><span>To (comma-separated)</span><input aria-label="To" value={f['to'] ?? ''} onChange={set('to')} /></label>
          </div>
        </>
      ) : (
        <div className="row">
          <label><span>URL</span><input aria-label="Webhook URL" value={f['url'] ?? ''} onChange={set('url')} /></label>
          <label><span>Signing secret (16+ characters)</span><input type="password" autoComplete="off" aria-label="Signing secret" value={f['secret'] ?? ''} onChange={set('secret')} /></label>
        </div>
      )}
      {type === 'webhook' && <p className="muted">Webhooks carry <code>x-syncwarden-signature: v1=HMAC-SHA256(secret, timestamp + "." + body)</code> and <code>x-syncwarden-timestamp</code>; see docs/api.md to verify them.</p>}
      <button type="button" className="primary" onClick={() => void save()}>Add channel</button>
      {error && <ErrorBox error={error} />}
    </div>
  );
}

/** Alert channels (email, webhook) and the alerts sent: incidents opened and resolved, reminders, expiring credentials. */
export function AlertsPage() {
  const channels = useData(() => connApi.channels(), []);
  const alerts = useData(() => connApi.alerts(), [], 15_000);
  const toast = useToast();
  async function test(c: Channel) {
    const r = await connApi.testChannel(c.id);
    if (r.ok) toast('success', `Test alert sent to "${c.name}"`);
    else toast('error', `Test alert to "${c.name}" failed: ${r.error?.message ?? ''}`);
  }
  async function toggle(c: Channel) {
    await connApi.editChannel(c.id, { enabled: !c.enabled });
    channels.reload();
  }
  async function remove(c: Channel) {
    if (!window.confirm(`Delete the alert channel "${c.name}"?`)) return;
    await connApi.deleteChannel(c.id);
    channels.reload();
  }
  return (
    <section>
      <div className="page-header"><h1>Alerts</h1></div>
      <p className="muted">One alert per change of state — a connection incident opened or resolved, a credential reaching 30, 14, 7 or 1 days before expiry or expiring — and reminders while an incident stays open (after 1 hour, 4 hours, a day, then daily).</p>
      {channels.error && <ErrorBox error={channels.error} />}
      {channels.data && channels.data.channels.length === 0 && <Empty title="No alert channels">Add an email or webhook channel below.</Empty>}
      {channels.data && channels.data.channels.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Alert channels">
            <thead><tr><th>Channel</th><th>Type</th><th>Sends to</th><th>State</th><th></th></tr></thead>
            <tbody>
              {channels.data.channels.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.type === 'email' ? 'Email' : 'Webhook'}</td>
                  <td className="muted">{c.type === 'email' ? (c.config['to'] as string[] | undefined)?.join(', ') : String(c.config['url'] ?? '')}</td>
                  <td><Pill status={c.enabled ? 'active' : 'not_tested'} label={c.enabled ? 'Enabled' : 'Disabled'} /></td>
                  <td className="actions">
                    <button type="button" onClick={() => void test(c)}>Send test alert</button>
                    <button type="button" onClick={() => void toggle(c)}>{c.enabled ? 'Disable' : 'Enable'}</button>
                    <button type="button" className="danger" onClick={() => void remove(c)}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ChannelForm onSaved={() => { toast('success', 'Alert channel added'); channels.reload(); }} />
      <h2>Recent alerts</h2>
      {alerts.data && alerts.data.alerts.length === 0 && <div className="muted">No alerts yet.</div>}
      {alerts.data && alerts.data.alerts.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Recent alerts">
            <thead><tr><th>When</th><th>Alert</th><th>Status</th></tr></thead>
            <tbody>
              {alerts.data.alerts.map((a) => (
                <tr key={a.id}>
                  <td className="nowrap">{relativeTime(a.createdAt)}</td>
                  <td>{a.title}<div className="muted"><code>{a.event}</code></div></td>
                  <td><Pill status={a.status} label={a.status === 'no_channels' ? 'No channel' : a.status} />{a.lastError && a.status !== 'sent' && <div className="muted">{a.lastError.message}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
