import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * One logger, with secrets redacted in one place: any field whose name suggests a secret is
 * censored wherever it appears (two levels deep), and error params never carry secrets.
 */
const SECRET_KEYS = ['password', 'pfxPassword', 'pfxBase64', 'clientSecret', 'keyJson', 'tokenProviderKeyJson', 'secret', 'authorization', 'access_token', 'assertion', 'private_key', 'privateKey', 'secretAccessKey', 'token', 'bearerToken'];

export function createLogger(level: string = process.env['LOG_LEVEL'] ?? 'info', destination?: DestinationStream): Logger {
  const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  const options = { level, redact: { paths, censor: '[redacted]' }, base: { service: 'syncwarden' } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
