/**
 * The port of the local pipeline, read the same way by `npm start` and by the CLI's default URL,
 * so that `PORT=3100 npm start` and `PORT=3100 npm run cli -- send …` meet without `--url`.
 */
import { WEBHOOK_ROUTE } from './gateway.ts';

/** The environment variable naming the local pipeline's port. */
export const PORT_ENV_VAR = 'PORT';

/** The local pipeline's port when `PORT` is unset. */
export const DEFAULT_LOCAL_PORT = 3000;

/** A `PORT` value that is not a port number. */
export class InvalidPortError extends Error {
  constructor(raw: string) {
    super(`${PORT_ENV_VAR} must be a port number between 0 and 65535, got "${raw}"`);
    this.name = 'InvalidPortError';
  }
}

/**
 * The port named by a `PORT` value: {@link DEFAULT_LOCAL_PORT} when unset or blank; 0 asks the
 * pipeline for a free port.
 *
 * @throws {InvalidPortError} when the value is not a whole number from 0 to 65535
 * @example
 * localPort(process.env.PORT); // 3000 when unset
 */
export function localPort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOCAL_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidPortError(raw);
  return port;
}

/** The webhook URL of a local pipeline on `port`. */
export function localWebhookUrl(port: number): string {
  return `http://127.0.0.1:${port}${WEBHOOK_ROUTE.path}`;
}
