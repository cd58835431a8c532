/**
 * The confirmation `replay` and `redrive` ask for before they change a queue: on a terminal a
 * person answers y/N; without a terminal the command refuses unless `--yes` was given, so that a
 * script never moves messages by accident.
 */
import { createInterface } from 'node:readline/promises';
import { CliError, UsageError } from '../dev/errors.ts';

/** The terminal a command asks for confirmation on. */
export interface Terminal {
  /** Whether standard input is a terminal a person can answer on. */
  readonly isTTY: boolean;
  /** Asks a question and answers the reply. */
  ask(question: string): Promise<string>;
}

/** The process's own standard input. */
export const processTerminal: Terminal = {
  isTTY: Boolean(process.stdin.isTTY),
  ask: async (question) => {
    const readline = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await readline.question(question);
    } finally {
      readline.close();
    }
  },
};

/** What {@link confirm} asks and says. */
export interface Confirmation {
  /** The command's verb, e.g. `replay`. */
  readonly verb: string;
  /** The question, ending in `?`. */
  readonly question: string;
  /** What did not happen when the answer is no, e.g. `nothing was sent`. */
  readonly unchanged: string;
}

/**
 * Resolves when the user confirmed (or `yes` was given).
 *
 * @throws {UsageError} without a terminal and without `yes`
 * @throws {CliError} when the answer is not yes
 */
export async function confirm(confirmation: Confirmation, yes: boolean, terminal: Terminal): Promise<void> {
  if (yes) return;
  if (!terminal.isTTY) {
    throw new UsageError(
      `refusing to ${confirmation.verb} without confirmation: standard input is not a terminal; pass --yes`,
    );
  }
  const answer = await terminal.ask(`${confirmation.question} [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new CliError(`${confirmation.verb} cancelled: ${confirmation.unchanged}`);
  }
}
