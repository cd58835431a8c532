/**
 * The commands' option parsing: Node's `parseArgs` (strict), with its errors turned into one line
 * a user can act on, e.g. `unknown option --clinet-reference; did you mean --client-reference?`
 * instead of Node's advice about positionals with its unbalanced quote.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { UsageError } from '../dev/errors.ts';
import { suggest } from '../dev/suggest.ts';

/** The result of {@link parseOptions}. */
export interface ParsedOptions {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

/**
 * Parses `args` with `options`; positionals are refused unless `allowPositionals` is set.
 *
 * @throws {UsageError} naming the flag, with a "did you mean" for a near miss
 */
export function parseOptions(
  args: string[],
  options: ParseArgsOptionsConfig,
  { allowPositionals = false }: { allowPositionals?: boolean } = {},
): ParsedOptions {
  let parsed: ParsedOptions;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true }) as ParsedOptions;
  } catch (error) {
    throw parseArgsUsageError(error, options);
  }
  if (!allowPositionals && parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument: ${parsed.positionals.join(' ')}`);
  }
  return parsed;
}

/** The usage error, in one line, of an error `parseArgs` threw for these options. */
export function parseArgsUsageError(error: unknown, options: ParseArgsOptionsConfig): UsageError {
  const { code, message } = error as { code?: string; message?: string };
  const flag = /'(-{1,2}[^' ]+)/.exec(message ?? '')?.[1];
  const known = Object.keys(options).map((name) => `--${name}`);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const typed = flag.split('=')[0]!;
    const guess = suggest(typed.replace(/^-+/, '--'), known);
    return new UsageError(
      `unknown option ${typed}${guess ? `; did you mean ${guess}?` : `; options: ${known.join(', ')}`}`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    const name = flag.replace(/^-+/, '');
    const short = Object.entries(options).find(([, option]) => option.short === name)?.[0];
    const long = `--${short ?? name}`;
    return /argument missing/.test(message ?? '')
      ? new UsageError(`${long} needs a value`)
      : new UsageError(`${long} takes no value`);
  }
  return new UsageError(message ?? String(error));
}
