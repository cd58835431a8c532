/**
 * The processor's configuration, read once from the environment at start-up.
 */
import { requireEnv } from '../shared/config.ts';

/** What the processor needs from its environment. */
export interface ProcessorConfig {
  /** The connections table (connection registry and latest Dynamic Rules). */
  readonly connectionsTableName: string;
}

/**
 * Reads the processor's environment, failing fast when `CONNECTIONS_TABLE_NAME` is missing.
 *
 * @example
 * const { connectionsTableName } = loadProcessorConfig();
 */
export function loadProcessorConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProcessorConfig {
  return { connectionsTableName: requireEnv('CONNECTIONS_TABLE_NAME', env) };
}

/**
 * The dead-letter queue the processor puts poison messages on (`DEAD_LETTER_QUEUE_URL`), or
 * `undefined` when unset: such messages then fail and are retried until SQS moves them.
 */
export function loadDeadLetterQueueUrl(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.DEAD_LETTER_QUEUE_URL?.trim() || undefined;
}

let cached: ProcessorConfig | undefined;

/** The process environment's configuration, read on first use and kept. */
export function getProcessorConfig(): ProcessorConfig {
  cached ??= loadProcessorConfig();
  return cached;
}
