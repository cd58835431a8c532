/**
 * The repository's shape, held by its import graph (test/support/import-graph.ts): `lambda/`
 * holds only what the package ships and bundles, and imports nothing from outside itself; the
 * dev tools (`local/`, `cli/`) do not import each other both ways; no module imports itself
 * through others.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { importGraph, REPO_ROOT, reachableFrom } from '../support/import-graph.ts';

/** What the package ships from lambda/: the two functions' entries and the processor kit. */
const SHIPPED_ENTRIES = [
  'lambda/verifier/handler.ts',
  'lambda/processor/handler.ts',
  'lambda/processor/kit.ts',
];

describe('the import structure', () => {
  const graph = importGraph();
  const inFolder = (folder: string) => [...graph.keys()].filter((file) => file.startsWith(`${folder}/`));

  it('keeps in lambda/ only modules a shipped entry point reaches', () => {
    // GIVEN the modules the functions and the kit import, directly or not
    const shipped = reachableFrom(graph, SHIPPED_ENTRIES);
    // WHEN we list lambda/'s modules that none of them reaches
    const unshipped = inFolder('lambda').filter((file) => !shipped.has(file));
    // THEN there are none: fakes, signers and the app's own handlers live elsewhere
    expect(unshipped).toEqual([]);
  });

  it('keeps signing out of lambda/: the verifier only verifies', () => {
    // GIVEN the names lambda/'s modules export
    const exported = inFolder('lambda').flatMap((file) =>
      [...readFileSync(resolve(REPO_ROOT, file), 'utf8').matchAll(/export (?:async )?function (\w+)/g)].map(
        (match) => `${file}: ${match[1]}`,
      ),
    );
    // WHEN we look for signers (they live in testing/signers.ts)
    const signers = exported.filter((entry) =>
      /: (sign[A-Z]\w*|svixHeaders|generateSvixSecret)$/.test(entry),
    );
    // THEN there are none
    expect(signers).toEqual([]);
  });
});
