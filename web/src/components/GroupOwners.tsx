import { useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { reviewsApi, type Person } from '../campaigns-api.js';
import { ownersApi, type ResourceOwners } from '../owners-api.js';
import { ErrorBox } from './ErrorBox.js';

/**
 * A group's owners in a campaign's owner mode: those the provider reports and those set in
 * Syncwarden, which an admin edits here (emails of this tenant's users). Loaded on demand: an
 * identity has many groups and most are never opened.
 */
export function GroupOwners({ connectionId, resourceId }: { connectionId: string; resourceId: string }) {
  const [open, setOpen] = useState(false);
  const [data, setData] = useState<ResourceOwners | null>(null);
  const [people, setPeople] = useState<Person[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const fail = (e: unknown) => setError(e instanceof ApiError ? e.error : { code: 'ui', title: 'Failed', message: String(e), resolution: '' });
  const show = (o: ResourceOwners) => {
    setData(o);
    setText(o.owners.map((p) => p.email).join(', '));
  };
  async function load() {
    setOpen(true);
    setError(null);
    try {
      const [o, r] = await Promise.all([ownersApi.get(connectionId, resourceId), reviewsApi.reviewers()]);
      setPeople(r.people);
      show(o);
    } catch (e) {
      fail(e);
    }
  }
  async function save() {
    setError(null);
    const emails = text.split(/[\s,;]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
    const unknown = emails.filter((e) => !people.some((p) => p.email.toLowerCase() === e));
    if (unknown.length) return setError({ code: 'ui', title: 'Not a user of this tenant', message: `${unknown.join(', ')} cannot sign in to Syncwarden here.`, resolution: 'Add them under Settings > Users first, or use another address.' });
    setBusy(true);
    try {
      show(await ownersApi.set(connectionId, resourceId, emails.map((e) => people.find((p) => p.email.toLowerCase() === e)!.userId)));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }
  if (!open) return <button type="button" className="link" onClick={() => void load()}>Owners…</button>;
  return (
    <div className="group-owners" role="group" aria-label="Group owners">
      {data && (
        <>
          <div><small>Reported by the provider: {data.reported.length ? data.reported.map((r) => r.name).join(', ') : 'none'}</small></div>
          <label><small>Set in Syncwarden (emails)</small>
            <input value={text} onChange={(e) => setText(e.target.value)} placeholder="owner@example.com" aria-label="Owners set in Syncwarden" />
          </label>
          <button type="button" onClick={() => void save()} disabled={busy}>Save owners</button>
        </>
      )}
      {error && <ErrorBox error={error} />}
    </div>
  );
}
