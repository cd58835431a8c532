/**
 * Where and how `npm start` prints the functions' logs. In AWS, Lambda sends what a function writes
 * to stdout and to stderr to the same log stream; Powertools' Logger writes WARN and ERROR lines to
 * stderr. Locally the banner and hints go to stderr and every log line to stdout, so that
 * `npm start --silent | jq` sees warnings (e.g. `delivery rejected`) too.
 *
 * Into a pipe or a file each line is JSON, as Powertools prints it. On a terminal each line is
 * compact (time, level, function, message, the event's type, connection and id, then the line's
 * own keys), because a JSON line per event is hard to read there; `OFAUTH_LOG_FORMAT` chooses.
 */
import { Logger, type LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';

/** The environment variable that chooses the log format: `json` or `compact`. */
export const LOG_FORMAT_ENV_VAR = 'OFAUTH_LOG_FORMAT';

/** JSON lines as Powertools prints them, or one compact line each. */
export type LogFormat = 'json' | 'compact';

/**
 * The format to print in: the environment's choice, else compact on a terminal and JSON otherwise.
 *
 * @throws {Error} for a value other than `json` or `compact`
 */
export function logFormat(value: string | undefined, isTerminal: boolean): LogFormat {
  const chosen = value?.trim();
  if (!chosen) return isTerminal ? 'compact' : 'json';
  if (chosen === 'json' || chosen === 'compact') return chosen;
  throw new Error(`${LOG_FORMAT_ENV_VAR} must be json or compact, got "${value}"`);
}

/**
 * The keys Powertools puts on every line of a function (the lean formatter's, and the default
 * formatter's that a logger of your own may still use): the same on every line of an invocation.
 */
export const POWERTOOLS_LINE_KEYS = [
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
] as const;

/** Keys the compact line shows in its own places, or leaves out (the same on every line of a function). */
const PLACED_KEYS = new Set<string>([
  ...POWERTOOLS_LINE_KEYS,
  'eventType',
  'connectionId',
  'eventId',
  'eventKey',
]);
/** Longest value shown before it is cut. */
const MAX_VALUE_CHARS = 160;
/** Event keys longer than this (a SHA-256 of the body) are shown by their start. */
const MAX_EVENT_ID_CHARS = 24;

function valueText(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value && typeof value === 'object' && 'message' in value) {
    const error = value as { name?: unknown; message?: unknown };
    text = `${typeof error.name === 'string' ? `${error.name}: ` : ''}${String(error.message)}`;
  } else text = JSON.stringify(value) ?? String(value);
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/**
 * One log line, as JSON attributes, in the compact form, e.g.
 * `01:50:03.123 INFO  processor event processed  connection.created conn_abc123 msg_2pQ…  lagMs=12`.
 */
export function compactLogLine(attributes: Readonly<Record<string, unknown>>): string {
  const timestamp = String(attributes.timestamp ?? new Date().toISOString());
  const time = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(timestamp)?.[1] ?? timestamp;
  const level = String(attributes.level ?? 'INFO').padEnd(5);
  const service = String(attributes.service ?? '')
    .replace(/^ofauth-/, '')
    .padEnd(9);
  // The processor says eventId, the verifier eventKey: the same value.
  const key = attributes.eventId ?? attributes.eventKey;
  const eventId = typeof key === 'string' ? key : undefined;
  const event = [
    attributes.eventType,
    attributes.connectionId,
    eventId && eventId.length > MAX_EVENT_ID_CHARS ? `${eventId.slice(0, 12)}…` : eventId,
  ]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(' ');
  const own = Object.entries(attributes)
    .filter(([key, value]) => !PLACED_KEYS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${valueText(value)}`)
    .join(' ');
  return [`${time} ${level} ${service} ${String(attributes.message ?? '')}`, event, own]
    .filter((part) => part !== '')
    .join('  ');
}

/** The hooks every Logger prints through: `printLog` (protected, meant for subclasses) and its replacer. */
interface PrintsLogs {
  printLog(logLevel: number, log: unknown): void;
  getJsonReplacer(): (key: string, value: unknown) => unknown;
}

let routed = false;

/**
 * Makes every Powertools Logger in this process print its lines on stdout, in `format`: through its
 * INFO method as JSON, each line keeping its own `level` (only the stream changes), or as
 * {@link compactLogLine}. Once per process: later calls change nothing.
 *
 * @example
 * printAllLogsToStdout(logFormat(process.env.OFAUTH_LOG_FORMAT, process.stdout.isTTY === true)); // in local/start.ts
 */
export function printAllLogsToStdout(format: LogFormat = 'json'): void {
  if (routed) return;
  routed = true;
  const prototype = Logger.prototype as unknown as PrintsLogs;
  const print = prototype.printLog;
  prototype.printLog = function printOnStdout(this: PrintsLogs, logLevel: number, log: unknown) {
    if (format === 'json') {
      print.call(this, Math.min(logLevel, LogLevelThreshold.INFO), log);
      return;
    }
    const item = log as LogItem;
    item.prepareForPrint();
    // Through the replacer first, so that errors and other values read as in the JSON line.
    const attributes = JSON.parse(JSON.stringify(item.getAttributes(), this.getJsonReplacer())) as Record<
      string,
      unknown
    >;
    process.stdout.write(`${compactLogLine(attributes)}\n`);
  };
}
