import { AppError, isErrorCode, type ErrorCode } from '../errors/index.js';

/**
 * The CLI against a remote server: SYNCWARDEN_URL and SYNCWARDEN_TOKEN (an API token; its role
 * limits what the CLI may do there, exactly as for any API client). The server's catalogue
 * error comes back as the same AppError a local run would throw.
 */
export async function callRemote<T>(remote: { url: string; token: string }, method: string, path: string, body?: unknown): Promise<T> {
  const url = `${remote.url.replace(/\/+$/, '')}/api/v1${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${remote.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new AppError('cli.remote_failed', { url: remote.url, detail: (e as Error).message });
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; title?: string; message?: string; resolution?: string } } | undefined)?.error;
    if (err?.code && isErrorCode(err.code)) throw new RemoteError(err.code as ErrorCode, { title: err.title ?? '', message: err.message ?? '', resolution: err.resolution ?? '' });
    throw new AppError('cli.remote_failed', { url: remote.url, detail: `HTTP ${res.status}` });
  }
  return json as T;
}

/** A catalogue error the server answered: shown with the server's own wording of its cause. */
export class RemoteError extends AppError {
  constructor(code: ErrorCode, readonly rendered: { title: string; message: string; resolution: string }) {
    super(code, {});
    this.message = rendered.message;
  }
}
