/**
 * `context.log` outside the Functions host (the local runtime, tests): each line goes to the
 * OpenTelemetry logs API as well as to the caller's sink, so it is exported with the trace and
 * span ids of the active span. Inside the host, the Functions instrumentation does the same.
 */
import { format } from 'node:util';
import { SeverityNumber, logs } from '@opentelemetry/api-logs';
import type { LogLevel } from '@azure/functions';
import { SERVICE_NAME, SERVICE_VERSION } from './service.js';

const SEVERITY: Record<LogLevel, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  information: SeverityNumber.INFO,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
  none: SeverityNumber.UNSPECIFIED,
};

/** A log handler with the shape of `InvocationContext`'s (any level name is accepted). */
export type LevelLogHandler = (level: string, ...args: unknown[]) => void;

/**
 * A `logHandler` for `new InvocationContext({ logHandler })` that exports every line through
 * OpenTelemetry (correlated with the active span) and then hands it to `sink`.
 */
export function telemetryLogHandler(sink?: LevelLogHandler): LevelLogHandler {
  return (level, ...args) => {
    if (level !== 'none') {
      const error = args.find((arg): arg is Error => arg instanceof Error);
      logs.getLogger(SERVICE_NAME, SERVICE_VERSION).emit({
        severityNumber: SEVERITY[level as LogLevel] ?? SeverityNumber.UNSPECIFIED,
        severityText: level,
        body: format(...args),
        ...(error && {
          attributes: {
            'exception.type': error.name,
            'exception.message': error.message,
            ...(error.stack && { 'exception.stacktrace': error.stack }),
          },
        }),
      });
    }
    sink?.(level, ...args);
  };
}
