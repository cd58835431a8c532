// The test environment of mutation runs (stryker.jest.config.js): jest's node environment, plus
// Stryker's default "bail": once a test has failed against a mutant, the mutant is killed, and
// the rest of that jest run is skipped (tests, and the hooks of files not started yet). Stryker's
// jest runner cannot ask jest to bail (jest's `bail` exits the process), and without it every
// killed mutant would still run every test that covers it, integration suites included.
//
// CommonJS because Stryker's jest runner loads the environment it wraps with `require`.
const { TestEnvironment } = require('jest-environment-node');

// Stryker names the mutant under test in this variable for each jest run; the dry run has none.
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
// Process-wide (every test file of a run is executed in band in this process): the mutant that
// a test has already killed.
const KILLED = Symbol.for('ofauth.mutation.killedMutant');

function skipAll(block) {
  for (const child of block.children) {
    if (child.type === 'describeBlock') skipAll(child);
    else child.mode = 'skip';
  }
}

class MutantBailEnvironment extends TestEnvironment {
  async handleTestEvent(event, state) {
    const mutant = process.env[ACTIVE_MUTANT];
    if (mutant === undefined) return;
    if (globalThis[KILLED] === mutant) {
      if (event.name === 'run_start') skipAll(state.rootDescribeBlock);
      else if (event.name === 'test_start') event.test.mode = 'skip';
      return;
    }
    const failed =
      (event.name === 'test_done' && event.test.errors.length > 0) || event.name === 'hook_failure';
    if (failed) globalThis[KILLED] = mutant;
  }
}

module.exports = MutantBailEnvironment;
