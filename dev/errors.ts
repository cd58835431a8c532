/**
 * The CLI's two kinds of failure and their exit codes: a usage error (bad or missing argument,
 * exit 2) and a failure of the command itself (unreachable URL, AWS error, exit 1).
 */

/** A bad or missing argument; the CLI prints the message and a hint to `--help`, and exits 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command could not do its job; the CLI prints the message and exits 1. */
export class CliError extends Error {
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Where a command writes, and what it reads from its environment; tests pass their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Parses a positive integer flag, or fails with a usage error naming the flag and the value. */
export function positiveInteger(
  flag: string,
  raw: string | undefined,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${flag} must be a whole number between 1 and ${max}, got "${raw}"`);
  }
  return value;
}

/** Parses a positive number flag (fractions allowed), or fails with a usage error. */
export function positiveNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${flag} must be a number above 0, got "${raw}"`);
  }
  return value;
}
