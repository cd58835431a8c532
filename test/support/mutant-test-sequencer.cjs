// The order of test files in mutation runs (stryker.jest.config.js): fast suites first (unit,
// then infra when MUTATION_SUITES includes it, then handlers, then integration), so that with mutant-bail-environment.cjs a mutant is most
// often killed before a slow integration file starts. Jest's default order (slowest first) suits
// parallel workers, not a run in band that stops at the first failure.
const Sequencer = require('@jest/test-sequencer').default;

const RANK = ['/test/unit/', '/test/infra/', '/test/handlers/', '/test/integration/'];
const rank = (path) => {
  const index = RANK.findIndex((folder) => path.includes(folder));
  return index < 0 ? RANK.length : index;
};

class MutantTestSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = MutantTestSequencer;
