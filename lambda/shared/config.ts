/**
 * Reading the environment once at start-up, failing fast with a clear message when a required
 * variable is missing or malformed. Only the functions' `config.ts` modules call these.
 */

/** Thrown at start-up when the environment does not configure a function correctly. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** A required, non-empty variable. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`environment variable ${name} is required but is not set`);
  return value;
}

/** An optional variable, or `fallback` when unset or empty. */
export function optionalEnv(name: string, fallback: string, env: Env = process.env): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

/** A positive integer variable, or `fallback` when unset. */
export function intEnv(name: string, fallback: number, env: Env = process.env): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}
