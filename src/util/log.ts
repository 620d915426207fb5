import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout with stable field names (`component`, `source`, `err`). */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'ai-metrics-adapter' } });
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
