// Stops the emulators started by global-setup.mjs, then prints the reliability suites' figures
// (if any ran) as one table, so that CI logs show them after the test results.
import { printReliabilitySummary } from '../reliability/support/summary.ts';

export default async function globalTeardown() {
  const emulators = globalThis.__OFAUTH_EMULATORS__;
  await emulators?.stop();
  printReliabilitySummary();
  if (emulators) {
    // A process that runs jest again (Stryker's test runner does, once per mutant) must not find
    // the endpoints of emulators that are gone.
    globalThis.__OFAUTH_EMULATORS__ = undefined;
    delete process.env.TEST_DYNAMODB_ENDPOINT;
    delete process.env.TEST_SQS_ENDPOINT;
  }
}
