/**
 * Where `npm start` prints the functions' logs. In AWS, Lambda sends what a function writes to
 * stdout and to stderr to the same log stream; Powertools' Logger writes WARN and ERROR lines to
 * stderr. Locally the banner and hints go to stderr and every JSON log line to stdout, so that
 * `npm start --silent | jq` sees warnings (e.g. `delivery rejected`) too.
 */
import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';

/** The hook every Logger prints through: `printLog`, protected, meant for subclasses to override. */
interface PrintsLogs {
  printLog(logLevel: number, log: unknown): void;
}

let routed = false;

/**
 * Makes every Powertools Logger in this process print its lines through its INFO method (stdout).
 * Each line keeps its own `level`: only the stream changes. Idempotent.
 *
 * @example
 * printAllLogsToStdout(); // in local/start.ts, before the handlers load
 */
export function printAllLogsToStdout(): void {
  if (routed) return;
  routed = true;
  const prototype = Logger.prototype as unknown as PrintsLogs;
  const print = prototype.printLog;
  prototype.printLog = function printOnStdout(this: PrintsLogs, logLevel: number, log: unknown) {
    print.call(this, Math.min(logLevel, LogLevelThreshold.INFO), log);
  };
}
