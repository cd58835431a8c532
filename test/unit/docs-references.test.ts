/**
 * Every Markdown document a repository file names is in the repository: a user who clones it
 * never follows a dead reference (design notes kept elsewhere must not leak into comments or docs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
// Also the outputs of `npm run test:mutation` (git-ignored): its reports embed the test sources,
// whose relative links would be read from the wrong folder, and its sandboxes copy the repository.
const SKIPPED_FOLDERS = new Set([
  'node_modules',
  '.git',
  '.cache',
  'cdk.out',
  '.local',
  'coverage',
  'reports',
  '.stryker-tmp',
]);
const SCANNED = /\.(ts|mjs|js|md|json)$/;
/** Written by `npm run bench`, not committed (see .gitignore). */
const GENERATED = new Set(['bench/results/latest.md', 'latest.md']);
/** This file names missing documents on purpose, to show the check can fail. */
const THIS_FILE = resolve(import.meta.dirname, 'docs-references.test.ts');

function repositoryFiles(folder = ROOT): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : repositoryFiles(path);
    return SCANNED.test(entry.name) && entry.name !== 'package-lock.json' ? [path] : [];
  });
}

/** `.md` names a file mentions, leaving out URLs. */
function mentionedDocuments(text: string): string[] {
  return [...text.matchAll(/(?<![\w/:.-])([\w.-]+\/)*[\w.-]+\.md\b/g)].map((match) => match[0]);
}

describe('references to documents', () => {
  const files = repositoryFiles();
  const documentNames = new Set(files.filter((file) => file.endsWith('.md')).map((file) => basename(file)));

  it('finds documents to check', () => {
    expect([...documentNames]).toEqual(
      expect.arrayContaining(['README.md', 'ofauth-contract.md', 'architecture.md', 'PROVENANCE.md']),
    );
  });

  it('names only documents that are in the repository', () => {
    // GIVEN every source and document file, and every `.md` it mentions
    const dead: string[] = [];
    for (const file of files.filter((path) => path !== THIS_FILE)) {
      for (const mention of mentionedDocuments(readFileSync(file, 'utf8'))) {
        const candidates = [resolve(dirname(file), mention), resolve(ROOT, mention)];
        const found =
          candidates.some((candidate) => existsSync(candidate)) ||
          (!mention.includes('/') && documentNames.has(mention)) ||
          GENERATED.has(mention);
        if (!found) dead.push(`${relative(ROOT, file)}: ${mention}`);
      }
    }
    // THEN each one exists (relative to the file, to the repository root, or by its own name)
    expect(dead).toEqual([]);
  });

  it('fails on a mention of a document that is not in the repository (the check can fail)', () => {
    const mentions = mentionedDocuments('see DESIGN-NOTES.md and `docs/missing.md`, not https://x.io/a.md');
    expect(mentions).toEqual(['DESIGN-NOTES.md', 'docs/missing.md']);
    expect(mentions.filter((mention) => existsSync(resolve(ROOT, mention)))).toEqual([]);
  });
});
