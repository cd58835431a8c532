/**
 * The repository's shape, held by its import graph (test/support/import-graph.ts): `lambda/`
 * holds only what the package ships and bundles, and imports nothing from outside itself; the
 * dev tools (`local/`, `cli/`) do not import each other both ways; no module imports itself
 * through others.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { importCycles, importGraph, REPO_ROOT, reachableFrom, sourceFiles } from '../support/import-graph.ts';

/**
 * What the package ships from lambda/: the two functions' entries, the processor kit, and what
 * the construct itself reads there (the shared definitions, the published events' schemas).
 */
const SHIPPED_ENTRIES = [
  'lambda/verifier/handler.ts',
  'lambda/processor/handler.ts',
  'lambda/processor/kit.ts',
  'lib/index.ts',
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

  it('keeps lambda/ importing nothing from outside lambda/', () => {
    // GIVEN lambda/'s relative imports WHEN we keep those that leave the folder
    const leaving = inFolder('lambda').flatMap((file) =>
      (graph.get(file) ?? [])
        .filter((target) => !target.startsWith('lambda/'))
        .map((target) => `${file} → ${target}`),
    );
    // THEN there are none: the bundles and the package hold lambda/ alone
    expect(leaving).toEqual([]);
  });

  it('lets local/ and cli/ import each other one way only', () => {
    // GIVEN the imports from each folder into the other
    const into = (from: string, to: string) =>
      inFolder(from).flatMap((file) =>
        (graph.get(file) ?? [])
          .filter((target) => target.startsWith(`${to}/`))
          .map((target) => `${file} → ${target}`),
      );
    // WHEN local/ imports from cli/ (the CLI uses the local pipeline's state, not the other way)
    // THEN never: what both need lives in dev/
    expect(into('local', 'cli')).toEqual([]);
  });

  it('keeps dev/ below the dev tools: it imports nothing from local/, cli/ or bench/', () => {
    // GIVEN dev/'s relative imports WHEN we keep those into a dev tool
    const upward = inFolder('dev').flatMap((file) =>
      (graph.get(file) ?? [])
        .filter((target) => /^(local|cli|bench)\//.test(target))
        .map((target) => `${file} → ${target}`),
    );
    // THEN there are none: dev/ is what local/, cli/ and bench/ share, so it stands under them
    expect(upward).toEqual([]);
  });

  it('signs deliveries in one place: only testing/signers.ts (and the verifier, which checks) computes an HMAC', () => {
    // GIVEN the modules outside test/ WHEN we keep those that compute an HMAC
    const hmacs = sourceFiles()
      .filter((file) => !file.startsWith('test/'))
      .filter((file) => readFileSync(resolve(REPO_ROOT, file), 'utf8').includes('createHmac('));
    // THEN they are the verifier, the signers, and the signature benchmark's floor (a bare HMAC it
    // measures the verifier against); the benchmarks and the dev tools sign with testing/signers.ts
    expect(hmacs.sort()).toEqual([
      'bench/signatures.ts',
      'lambda/verifier/signature.ts',
      'testing/signers.ts',
    ]);
  });

  it('builds API Gateway events in one place, dev/api-gateway-event.ts', () => {
    // GIVEN the modules that are not tests themselves (test helpers included)
    const modules = sourceFiles().filter((file) => !file.endsWith('.test.ts'));
    // WHEN we keep those that write a payload-2.0 event
    const builders = modules.filter((file) =>
      /version: '2\.0',/.test(readFileSync(resolve(REPO_ROOT, file), 'utf8')),
    );
    // THEN only the one builder does: the local gateway, the benchmarks and the tests use it
    expect(builders).toEqual(['dev/api-gateway-event.ts']);
  });

  it('keeps test/ to the tests: nothing outside it imports from it, JSON included', () => {
    // GIVEN every relative import of the modules outside test/, whatever it names (.ts or .json)
    const outside = sourceFiles().filter((file) => !file.startsWith('test/'));
    const intoTest = outside.flatMap((file) =>
      [...readFileSync(resolve(REPO_ROOT, file), 'utf8').matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)]
        .map((match) => relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), match[1]!)))
        .filter((target) => target.startsWith('test/'))
        .map((target) => `${file} → ${target}`),
    );
    // THEN there are none: the example events the CLI, the inspector and testing/ send live in examples/
    expect(intoTest).toEqual([]);
  });

  it('has no import cycle anywhere', () => {
    // GIVEN every module's imports WHEN we look for strongly connected modules
    // THEN there are none
    expect(importCycles(graph)).toEqual([]);
  });
});
