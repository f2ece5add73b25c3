import { createTransport } from 'nodemailer';
import { AppError } from '../errors/index.js';
import type { EmailConfig } from './channels.js';

/**
 * Sends one alert email over SMTP (nodemailer). TLS modes: 'tls' = implicit TLS (port 465),
 * 'starttls' = the upgrade is required (587), 'none' = plain (a relay on the same host).
 * Errors become alert.delivery_failed with the server's answer — never the password.
 */
export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
  readonly headers?: Record<string, string>;
}

export async function sendEmail(name: string, config: EmailConfig, password: string | null, message: EmailMessage): Promise<void> {
  const transport = createTransport({
    host: config.host,
    port: config.port,
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    ...(config.user ? { auth: { user: config.user, pass: password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({ from: config.from, to: config.to, subject: message.subject, text: message.text, ...(message.headers ? { headers: message.headers } : {}) });
  } catch (e) {
    const err = e as { code?: string; responseCode?: number; response?: string; message?: string };
    const detail = err.responseCode ? `the server answered ${err.responseCode}${err.response ? ` (${err.response.slice(0, 200)})` : ''}` : `${err.code ?? 'error'}: ${err.message ?? String(e)}`;
    throw new AppError('alert.delivery_failed', { channel: 'email', name, detail: scrub(detail, password) }, { cause: e });
  } finally {
    transport.close();
  }
}

function scrub(text: string, secret: string | null): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}
