/**
 * What the receiver promises about delivery, in the words users read: at-least-once delivery,
 * deduplicated by event key (a handler runs again only in the crash window docs/reliability.md
 * names). No document, no shipped module and no package description may claim "exactly once",
 * which no part of the pipeline guarantees, nor that the queue keeps the order OFAuth sent.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** What users read: the README, the docs, the shipped code and its READMEs, the package. */
const READ_BY_USERS = ['README.md', 'package.json', 'docs', 'lambda', 'lib', 'testing'];
const SCANNED = /\.(ts|md|json)$/;

/** The file itself, or the scanned files of a folder. */
function filesUnder(path: string): string[] {
  const absolute = resolve(ROOT, path);
  if (statSync(absolute).isFile()) return [absolute];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => SCANNED.test(file))
    .map((file) => join(absolute, file));
}

/** The files (relative) whose text matches `pattern`, with the matching words. */
function claims(pattern: RegExp): string[] {
  return READ_BY_USERS.flatMap(filesUnder).flatMap((file) => {
    const match = readFileSync(file, 'utf8').match(pattern);
    return match ? [`${relative(ROOT, file)}: ${match[0]}`] : [];
  });
}

describe('what the receiver claims about delivery', () => {
  it('never claims exactly-once processing or delivery', () => {
    expect(claims(/exactly[\s-]+once/i)).toEqual([]);
  });

  it('never calls the queue order the order OFAuth sent (saying it is not is fine)', () => {
    expect(claims(/(?<!\bnot\s+the\s+)order (in which )?OFAuth sent/i)).toEqual([]);
  });

  it('says what holds: at-least-once delivery, deduplicated by event key', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/at[\s-]least[\s-]once/i);
    expect(readme).toMatch(/deduplicated by event key/i);
  });
});
