// Mutation testing of the core (`npm run test:mutation`, see docs/testing.md). Not part of
// `npm test`: a full run takes tens of minutes to hours on two cores.
//
// - Runner: jest, on the same native-ESM + @swc/jest setup as `npm test`
//   (stryker.jest.config.js), with `--experimental-vm-modules` as `npm test` passes it.
// - No checker: @stryker-mutator/typescript-checker loads the TypeScript compiler's JS API, and
//   TypeScript 7 (the native compiler this project type-checks with) has none. Mutants that do
//   not type-check are therefore run like any other and mostly die in their tests; Stryker's
//   default `disableTypeChecks` strips type checking from the mutated files, and @swc/jest only
//   strips types, so they still load. For the same reason tsconfig.json stays out of the
//   sandbox: Stryker rewrites a sandboxed tsconfig.json with the compiler's JS API, and nothing
//   in a test run reads it (@swc/jest reads .swcrc).
// - Incremental: the results are kept in reports/stryker-incremental.json (git-ignored, like the
//   rest of reports/), so a rerun only tests mutants in code or tests that changed since. A
//   static mutant (in a module-level constant) keeps its earlier result even when a new test
//   would kill it: after adding such tests, rerun the file with `-- --force`.
// - Bail: a jest run stops at the first test that kills the mutant, fast suites first
//   (stryker.jest.config.js).
// - Emulators: test/support/run-mutation.mjs starts DynamoDB Local and fauxqs once for the whole
//   run; the jest global setup reuses them (OFAUTH_TEST_EMULATORS=external).
// - concurrency 1: the machine is shared; raise it with `-- --concurrency 2` on a free machine.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  plugins: ['@stryker-mutator/jest-runner'],
  jest: { configFile: 'stryker.jest.config.js', enableFindRelatedTests: true },
  testRunnerNodeArgs: ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning'],
  checkers: [],
  coverageAnalysis: 'perTest',
  mutate: [
    'lambda/verifier/**/*.ts',
    'lambda/processor/**/*.ts',
    '!lambda/processor/default-handlers/**',
    '!lambda/processor/kit.ts',
    'lambda/shared/**/*.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 1,
  timeoutMS: 15_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { reportTests: false, reportMutants: true, reportScoreTable: true },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  // docs/ stays in the sandbox: a unit test reads the documented metric names.
  ignorePatterns: ['/tsconfig.json', '.cache', 'cdk.out', '.local', 'bench/results', 'coverage', 'reports'],
  tempDirName: '.stryker-tmp',
};
