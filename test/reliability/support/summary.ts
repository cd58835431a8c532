/**
 * The reliability figures: each suite records its rows, prints them when it ends, and the jest
 * global teardown prints every suite's rows as one table at the end of the run (so CI logs show
 * it once, after the test results). Rows travel through a folder named after this run's
 * emulator endpoints, which the global setup shares with every worker. Each suite's rows are also
 * written to `reports/reliability/`, from which the docs' figures are regenerated
 * (`documented-figures.ts`).
 *
 * Loaded natively by Node in the global teardown: erasable TypeScript only, node: imports only.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FigureRow, writeSuiteReport } from './documented-figures.ts';

export type { FigureRow };

function runDir(): string {
  const id = `${process.env.TEST_DYNAMODB_ENDPOINT ?? ''}|${process.env.TEST_SQS_ENDPOINT ?? ''}`;
  return join(tmpdir(), `ofauth-reliability-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`);
}

/** Renders rows as a Markdown table (readable as plain text in a CI log too). */
export function figuresTable(rows: ReadonlyArray<FigureRow & { readonly suite?: string }>): string {
  const withSuite = rows.some((row) => row.suite);
  const header = withSuite ? ['suite', 'figure', 'value', 'required'] : ['figure', 'value', 'required'];
  const lines = rows.map((row) =>
    withSuite
      ? [row.suite ?? '', row.figure, String(row.value), row.required ?? '']
      : [row.figure, String(row.value), row.required ?? ''],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const render = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join(
    '\n',
  );
}

/** Records a suite's figures for the run's summary and prints them now. */
export function recordFigures(suite: string, rows: readonly FigureRow[]): void {
  const dir = runDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite.replace(/[^a-z0-9-]+/gi, '-')}.json`), JSON.stringify({ suite, rows }));
  writeSuiteReport(suite, rows);
  console.log(`Reliability figures: ${suite}\n\n${figuresTable(rows)}\n`);
}

/** Prints every recorded suite's figures as one table and forgets them; prints nothing when none ran. */
export function printReliabilitySummary(
  write: (text: string) => void = (text) => process.stdout.write(text),
): void {
  const dir = runDir();
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort();
  } catch {
    return;
  }
  const rows = files.flatMap((file) => {
    const { suite, rows: suiteRows } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      suite: string;
      rows: FigureRow[];
    };
    return suiteRows.map((row) => ({ ...row, suite }));
  });
  rmSync(dir, { recursive: true, force: true });
  if (rows.length === 0) return;
  write(`\nReliability summary (npm run test:reliability)\n\n${figuresTable(rows)}\n\n`);
}
