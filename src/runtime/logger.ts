import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { scrubText } from '../errors/scrub.js';

/**
 * One logger, with secrets redacted in one place: any field whose name suggests a secret is
 * censored wherever it appears (two levels deep), and error params never carry secrets.
 */
const SECRET_KEYS = ['password', 'pfxPassword', 'pfxBase64', 'clientSecret', 'keyJson', 'tokenProviderKeyJson', 'secret', 'authorization', 'access_token', 'assertion', 'private_key', 'privateKey', 'secretAccessKey', 'token', 'bearerToken'];

export function createLogger(level: string = process.env['LOG_LEVEL'] ?? 'info', destination?: DestinationStream): Logger {
  const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  // A logged error's message and stack may quote a provider (an AwsCallError's text, a cause's
  // body): the same scrubber as error params.
  const err = (e: Error) => {
    const out = stdSerializers.err(e) as unknown as Record<string, unknown>;
    for (const k of ['message', 'stack']) if (typeof out[k] === 'string') out[k] = scrubText(out[k]);
    return out;
  };
  const options = { level, redact: { paths, censor: '[redacted]' }, base: { service: 'syncwarden' }, serializers: { err } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
