import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (one line per event); `level: 'silent'` in tests. */
export function createLogger(level: string = process.env.TSUNAGU_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'tsunagu' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export const silentLogger: Logger = pino({ level: 'silent' });
