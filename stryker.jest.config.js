/**
 * The jest configuration Stryker runs for each mutant (`npm run test:mutation`): the suites that
 * exercise the core in-process, as one flat project. Stryker's jest runner swaps the test
 * environment for its own wrapper (to see which test covers which mutant) only at the top level
 * of a configuration, never inside `projects`, so this file lists no projects.
 *
 * Left out: e2e (child processes Stryker cannot see into), reliability (minutes per run; its
 * behaviour is also pinned by the integration suites) and, unless MUTATION_SUITES adds it, infra.
 * Fast suites run first, and a run stops at its first failure (see the two support files).
 */
import { fileURLToPath } from 'node:url';
import { common } from './jest.config.js';

// Absolute: Stryker's wrapper resolves the environment it wraps with `require`, not jest's <rootDir>.
const support = (file) => fileURLToPath(new URL(`./test/support/${file}`, import.meta.url));

// MUTATION_SUITES=unit,infra,handlers,integration adds the infra suite, for the shared definitions
// that lib/ reads (resource-definitions.ts, metrics.ts): the deployed template is where their
// values show, and only the infra tests read it.
const suites = (process.env.MUTATION_SUITES ?? 'unit,handlers,integration').split(',');

export default {
  ...common,
  testEnvironment: support('mutant-bail-environment.cjs'),
  testSequencer: support('mutant-test-sequencer.cjs'),
  testMatch: suites.map((suite) => `<rootDir>/test/${suite.trim()}/**/*.test.ts`),
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};
