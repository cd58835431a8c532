/**
 * docs/cli.md documents every flag each command's `--help` lists, in that command's section: a
 * flag added to the CLI without a line in the docs fails here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { STATUS_HELP } from '../../cli/queues.ts';
import { REDRIVE_HELP } from '../../cli/redrive.ts';
import { REPLAY_HELP } from '../../cli/replay.ts';
import { SEND_HELP } from '../../cli/send.ts';
import { TAIL_HELP } from '../../cli/tail.ts';
import { TRACE_HELP } from '../../cli/trace.ts';

const CLI_DOCS = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8');

/** The text of the section `## \`command…\`` up to the next `## ` heading. */
function sectionOf(command: string): string {
  const start = CLI_DOCS.indexOf(`\n## \`${command}`);
  if (start < 0) throw new Error(`docs/cli.md has no section for ${command}`);
  const end = CLI_DOCS.indexOf('\n## ', start + 1);
  return CLI_DOCS.slice(start, end < 0 ? undefined : end);
}

/** The long flags a help text lists, `--help` aside. */
const flagsOf = (help: string) =>
  [...new Set([...help.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map(([, flag]) => `--${flag}`))].filter(
    (flag) => flag !== '--help',
  );

describe('docs/cli.md', () => {
  it.each([
    ['send', SEND_HELP],
    ['status', STATUS_HELP],
    ['redrive', REDRIVE_HELP],
    ['replay', REPLAY_HELP],
    ['trace', TRACE_HELP],
    ['tail', TAIL_HELP],
  ])('documents every flag of %s in its section', (command, help) => {
    // GIVEN the flags the command's help lists
    const flags = flagsOf(help);
    expect(flags.length).toBeGreaterThan(0);
    // WHEN we look for each in the command's section of the docs, as code
    const section = sectionOf(command);
    const missing = flags.filter((flag) => !section.includes(`\`${flag}`));
    // THEN none is missing
    expect(missing).toEqual([]);
  });
});
