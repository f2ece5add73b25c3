import { useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { connApi, type ConnectionV, type Credential, type CredentialTest } from '../api-connections.js';
import { Dialog } from '../components/Dialog.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Findings } from '../components/Findings.js';
import { CredentialFields, METHODS, credentialBody, type CredentialDraft } from '../components/CredentialFields.js';

/**
 * Rotation with overlap, one step at a time: 1. add the new credential (it is tested on its
 * own, the connection keeps using the old one); 2. switch; 3. retire the old one.
 */
export function RotateDialog({ connection, onClose, onChanged }: { connection: ConnectionV; onClose: () => void; onChanged: (message: string) => void }) {
  const pendingNow = connection.credentials.find((c) => c.state === 'pending') ?? null;
  const [draft, setDraft] = useState<CredentialDraft>({ type: connection.credential?.type ?? METHODS[connection.kind][0]!.value });
  const [pending, setPending] = useState<Credential | null>(pendingNow);
  const [test, setTest] = useState<CredentialTest | null>(pendingNow?.findings ? { ok: !!pendingNow.lastTestOk, findings: pendingNow.findings } : null);
  const [old, setOld] = useState<Credential | null>(null);
  const [switched, setSwitched] = useState<{ ok: boolean; requeuedUsers: number; resolvedIncident: string | null } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const [retired, setRetired] = useState(false);

  async function step<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
    setBusy(what);
    setError(null);
    try {
      return await f();
    } catch (e) {
      setError(e instanceof ApiError ? e.error : { code: 'network', title: `${what} failed`, message: String(e), resolution: 'Try again.' });
      return undefined;
    } finally {
      setBusy(null);
    }
  }

  const add = () =>
    step('Adding', async () => {
      const body = credentialBody(draft);
      if (!body) throw new ApiError(400, { code: 'request.invalid', title: 'Credential incomplete', message: 'Fill in the new credential first.', resolution: 'Enter every field of the new credential.' });
      const r = await connApi.addCredential(connection.id, body);
      setPending(r.credential);
      setTest(r.test);
      onChanged(r.test.ok ? 'New credential added and tested' : 'New credential added; its test failed');
    });
  const retest = () =>
    step('Testing', async () => {
      const r = await connApi.testCredential(connection.id, pending!.id);
      setTest(r);
    });
  const doSwitch = () =>
    step('Switching', async () => {
      const before = connection.credential;
      const r = await connApi.switchCredential(connection.id, pending!.id);
      setSwitched({ ok: r.test.ok, requeuedUsers: r.requeuedUsers, resolvedIncident: r.resolvedIncident });
      setOld(r.connection.credentials.find((c) => c.state === 'previous') ?? before);
      onChanged(r.test.ok ? 'Switched to the new credential' : 'Switched; the connection test failed');
    });
  const retire = () =>
    step('Retiring', async () => {
      await connApi.retireCredential(connection.id, old!.id);
      setRetired(true);
      onChanged('Old credential retired');
    });

  return (
    <Dialog
      title={`Rotate credential — ${connection.name}`}
      onClose={onClose}
      footer={<button type="button" onClick={onClose}>{retired || switched ? 'Done' : 'Close'}</button>}
    >
      <ol className="steps">
        <li className={pending ? 'done' : 'current'}>Add the new credential (tested on its own)</li>
        <li className={switched ? 'done' : pending ? 'current' : ''}>Switch to it</li>
        <li className={retired ? 'done' : switched ? 'current' : ''}>Retire the old one</li>
      </ol>
      <div className="muted">In use now: {connection.credential?.label} — {connection.credential?.expiry.what}</div>
      {!pending && (
        <>
          <CredentialFields kind={connection.kind} draft={draft} onChange={setDraft} />
          <button type="button" className="primary" disabled={busy !== null} onClick={() => void add()}>{busy === 'Adding' ? 'Adding and testing…' : 'Add and test'}</button>
        </>
      )}
      {pending && !switched && (
        <section aria-label="New credential">
          <div><strong>New:</strong> {pending.label} — {pending.expiry.what}</div>
          {test && (
            <>
              <div role="status" className={test.ok ? 'ok-text' : 'warn-text'}>{test.ok ? 'The new credential passed every check.' : 'The new credential failed its test.'}</div>
              <Findings findings={test.findings} label="New credential test" />
            </>
          )}
          <div className="actions">
            <button type="button" disabled={busy !== null} onClick={() => void retest()}>{busy === 'Testing' ? 'Testing…' : 'Test again'}</button>
            <button type="button" className="primary" disabled={busy !== null || !test?.ok} onClick={() => void doSwitch()}>{busy === 'Switching' ? 'Switching…' : 'Switch to the new credential'}</button>
            <button type="button" className="danger" disabled={busy !== null} onClick={() => void step('Discarding', async () => { await connApi.discardCredential(connection.id, pending.id); setPending(null); setTest(null); })}>Discard</button>
          </div>
        </section>
      )}
      {switched && (
        <section aria-label="Switched">
          <div role="status" className={switched.ok ? 'ok-text' : 'warn-text'}>
            {switched.ok ? 'Switched: the connection tests healthy with the new credential.' : 'Switched, but the connection test failed.'}
            {switched.resolvedIncident && ` Its incident is resolved; ${switched.requeuedUsers} blocked user(s) are syncing now.`}
          </div>
          {old && !retired && (
            <div className="actions">
              <span>The old credential ({old.expiry.what}) is kept for rollback.</span>
              <button type="button" className="primary" disabled={busy !== null} onClick={() => void retire()}>Retire the old credential</button>
            </div>
          )}
          {retired && <div role="status" className="ok-text">Old credential retired and its secret wiped. Delete it with the provider too.</div>}
        </section>
      )}
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}
