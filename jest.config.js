/**
 * One jest run covers every suite. Test files are ESM TypeScript transformed by @swc/jest; the
 * emulators (DynamoDB Local, fauxqs) are started once by the global setup and their endpoints
 * are passed to the workers through the environment.
 *
 * Select a suite with `npm test -- --selectProjects unit` (or infra, integration, e2e, reliability,
 * browser, package). The browser suite drives the system's Chromium (`CHROMIUM_PATH`, default
 * /usr/bin/chromium) through playwright-core.
 * Mutation testing (`npm run test:mutation`) runs a subset of these suites through
 * stryker.jest.config.js, which reuses `common`.
 */
const transform = { '^.+\\.ts$': ['@swc/jest'] };
/** What every suite shares. */
export const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/env.ts'],
  // The repository imports its own package by name (bin/ and its handlers/); this
  // condition maps those imports to the TypeScript sources instead of the built dist/.
  testEnvironmentOptions: { customExportConditions: ['ofauth-receiver-source', 'node', 'node-addons'] },
  // Stryker's sandboxes (a copy of the repository each) while `npm run test:mutation` runs.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
};
const project = (name, timeout) => ({
  ...common,
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...(timeout ? { testTimeout: timeout } : {}),
});

export default {
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  projects: [
    project('unit'),
    project('handlers'),
    project('infra', 120_000),
    project('integration', 60_000),
    project('e2e', 120_000),
    project('reliability', 300_000),
    project('browser', 120_000),
    project('package'),
  ],
};
