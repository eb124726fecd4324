import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Secrets and match keys are redacted by path as a safety net;
 * the code also never passes them to the logger in the first place.
 */
export const REDACTED_PATHS = [
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'headers["access-token"]',
  'headers.authorization',
  '*.headers["access-token"]',
  '*.headers.authorization',
  'email',
  '*.email',
  'phone',
  '*.phone',
  'user',
  '*.user',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tiktok-sidecar' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
