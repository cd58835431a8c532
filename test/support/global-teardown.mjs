// Stops the emulators started by global-setup.mjs, then prints the reliability suites' figures
// (if any ran) as one table, so that CI logs show them after the test results.
import { printReliabilitySummary } from '../reliability/support/summary.ts';

export default async function globalTeardown() {
  await globalThis.__OFAUTH_EMULATORS__?.stop();
  printReliabilitySummary();
}
