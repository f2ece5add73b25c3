import { pino, type Logger } from 'pino';

/**
 * One logger, with secrets redacted in one place: any field whose name suggests a secret is
 * censored wherever it appears (two levels deep), and error params never carry secrets.
 */
const SECRET_KEYS = ['password', 'pfxPassword', 'pfxBase64', 'clientSecret', 'keyJson', 'tokenProviderKeyJson', 'secret', 'authorization', 'access_token', 'assertion', 'private_key', 'privateKey'];

export function createLogger(level: string = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino({ level, redact: { paths, censor: '[redacted]' }, base: { service: 'syncwarden' } });
}

export type { Logger };
