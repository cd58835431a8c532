/**
 * The repository's import graph, read from the source text (static `from '…'`, side-effect
 * `import '…'` and dynamic `import('…')` of a literal path): which TypeScript module imports which.
 * Only relative imports count; packages are outside the graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The repository's root. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** The folders whose TypeScript the graph covers. */
export const SOURCE_FOLDERS = [
  'bin',
  'bench',
  'cli',
  'dev',
  'examples',
  'lambda',
  'lib',
  'local',
  'test',
  'testing',
];

const IGNORED = /(^|\/)(node_modules|dist|cdk\.out|\.stryker-tmp)(\/|$)|\/page\//;
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g;

/** Module (repository-relative path) → the repository modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The TypeScript files under the source folders, relative to the repository. */
export function sourceFiles(root = REPO_ROOT): string[] {
  return SOURCE_FOLDERS.flatMap((folder) => {
    try {
      return readdirSync(resolve(root, folder), { recursive: true, encoding: 'utf8' })
        .map((file) => join(folder, file))
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !IGNORED.test(file));
    } catch {
      return [];
    }
  });
}

/** The relative imports of one file, as repository-relative paths (comments ignored). */
export function importsOf(file: string, root = REPO_ROOT): string[] {
  const code = readFileSync(resolve(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT)]
    .map((match) => relative(root, resolve(root, dirname(file), match[1]!)))
    .filter((target) => target.endsWith('.ts'));
}

/** The graph of every source file. */
export function importGraph(root = REPO_ROOT): ImportGraph {
  return new Map(sourceFiles(root).map((file) => [file, importsOf(file, root)]));
}

/** Every module reached from the entries, the entries included. */
export function reachableFrom(graph: ImportGraph, entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...(graph.get(file) ?? []));
  }
  return seen;
}

/** The import cycles among the given modules, each as the path that closes it (Tarjan's SCCs of more than one module, or a self-import). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
