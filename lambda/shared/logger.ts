/**
 * The functions' logger: Powertools Logger with lean lines. Log ingestion is billed per byte, and
 * Powertools' default format repeats on every line what CloudWatch already holds once per log
 * group and stream: the function's name, ARN, version and memory size. Each line keeps what an
 * operator searches for: level, message, time, service, the invocation's request id, whether it
 * was a cold start, the X-Ray trace id when tracing is on, and the line's own keys (event key,
 * connection id, event type…), so that a delivery's trail stays searchable.
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogAttributes,
  UnformattedAttributes,
} from '@aws-lambda-powertools/logger/types';

/** Powertools' default line without the keys a log stream already names (see the module's TSDoc). */
export class LeanLogFormatter extends LogFormatter {
  /** One line's attributes: the base keys an operator searches, then the line's own. */
  override formatAttributes(
    attributes: UnformattedAttributes,
    additionalLogAttributes: LogAttributes,
  ): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/**
 * A Powertools Logger that writes lean lines ({@link LeanLogFormatter}); the other options as
 * Powertools takes them (`serviceName`, `logLevel`…; the environment's `POWERTOOLS_*` by default).
 */
export function createLogger(options: Omit<ConstructorOptions, 'logFormatter'> = {}): Logger {
  return new Logger({ ...options, logFormatter: new LeanLogFormatter() } as ConstructorOptions);
}
