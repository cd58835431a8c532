/**
 * Preloaded by `npm start`, `npm test`, `npm run cli` and `npm run bench` (`node --import
 * ./local/require-node.mjs …`), before anything that needs a recent Node.js is loaded: on an older
 * Node the first failure would otherwise be a cryptic one (`ERR_UNKNOWN_BUILTIN_MODULE:
 * node:sqlite`, from fauxqs). Plain JavaScript with no dependencies, so that any Node.js runs it.
 * The version needed is package.json's `engines.node`.
 */
import { readFileSync } from 'node:fs';

/**
 * The problem with running on Node.js `found` when `engines` (a `>=major.minor[.patch]` range)
 * is required, as one line, or undefined when there is none.
 *
 * @param {string} found the running version, e.g. `20.11.1`
 * @param {string} engines package.json's `engines.node`, e.g. `>=22.5`
 * @returns {string | undefined}
 * @example
 * nodeVersionProblem('20.11.1', '>=22.5');
 * // 'error: this project needs Node.js 22.5 or later, found 20.11.1; run `nvm use` to switch to the version in .nvmrc'
 */
export function nodeVersionProblem(found, engines) {
  const needed = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines.trim());
  if (!needed) throw new Error(`package.json engines.node must read ">=major.minor", got "${engines}"`);
  const want = needed.slice(1).map((part) => Number(part ?? 0));
  const have = found.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < 3; i += 1) {
    if ((have[i] ?? 0) > want[i]) return undefined;
    if ((have[i] ?? 0) < want[i]) {
      const version = engines.trim().slice(2).trim();
      return `error: this project needs Node.js ${version} or later, found ${found}; run \`nvm use\` to switch to the version in .nvmrc`;
    }
  }
  return undefined;
}

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const problem = nodeVersionProblem(process.versions.node, packageJson.engines.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
