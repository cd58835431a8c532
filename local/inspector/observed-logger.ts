/**
 * A Powertools Logger that also hands every line it logs to a sink, so the inspector can show the
 * processor's and the handlers' log lines beside the attempt that wrote them. It prints exactly as
 * the plain Logger does; it records every line, `DEBUG` included, whatever the printing level
 * (`INFO` when asked for, `SILENT` in tests), because the inspector's timeline is the point of
 * running it, and the success path's per-event lines ("event processed") are `DEBUG` lines.
 */
import { Logger, type LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogItemExtraInput,
  LogItemMessage,
} from '@aws-lambda-powertools/logger/types';

/** One logged line as JSON, exactly the attributes Powertools would print. */
export type LogAttributes = Record<string, unknown>;

/** Receives each recorded line. */
export type LogSink = (attributes: LogAttributes) => void;

/** Options of {@link ObservedLogger}: Powertools' own, plus where the lines go. */
export type ObservedLoggerOptions = ConstructorOptions & { readonly sink: LogSink };

/**
 * A Logger whose lines also reach a sink.
 *
 * @example
 * const logger = new ObservedLogger({ serviceName: 'ofauth-processor', sink: (line) => lines.push(line) });
 * createProcessorHandler({ logger });
 */
export class ObservedLogger extends Logger {
  /** Unset while Powertools' constructor runs (it may log); assigned right after. */
  readonly sink: LogSink | undefined;

  constructor(options: ObservedLoggerOptions) {
    const { sink, ...loggerOptions } = options;
    super(loggerOptions);
    this.sink = sink;
  }

  protected override processLogItem(
    logLevel: number,
    input: LogItemMessage,
    extraInput: LogItemExtraInput,
  ): void {
    const recordFrom = Math.min(LogLevelThreshold.DEBUG, this.level);
    if (this.sink && logLevel >= recordFrom && logLevel < LogLevelThreshold.SILENT) {
      try {
        this.sink(this.#attributesOf(this.createAndPopulateLogItem(logLevel, input, extraInput)));
      } catch {
        // Recording is a convenience: it must never fail the handler that logs.
      }
    }
    super.processLogItem(logLevel, input, extraInput);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new ObservedLogger({ ...options, sink: (line) => this.sink?.(line) });
  }

  /** The attributes as printed: empty keys dropped, errors serialized by Powertools' replacer. */
  #attributesOf(item: LogItem): LogAttributes {
    item.prepareForPrint();
    return JSON.parse(JSON.stringify(item.getAttributes(), this.getJsonReplacer())) as LogAttributes;
  }
}
