// `npm run test:mutation`: starts DynamoDB Local and fauxqs once, runs Stryker (stryker.config.mjs)
// with their endpoints in the environment, and stops them when Stryker ends. Stryker runs jest
// once per mutant in its test-runner processes, which inherit this environment; the jest global
// setup sees OFAUTH_TEST_EMULATORS=external and reuses these emulators instead of starting a
// Java process per mutant. Arguments are passed to `stryker run`, e.g.
// `npm run test:mutation -- --mutate lambda/processor/connections.ts`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startEmulators } from '../../local/emulators/index.ts';

const strykerPackage = createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json');
const strykerBin = join(dirname(strykerPackage), 'bin', 'stryker.js');
const emulators = await startEmulators();
const env = {
  ...process.env,
  OFAUTH_TEST_EMULATORS: 'external',
  TEST_DYNAMODB_ENDPOINT: emulators.dynamodb.endpoint,
  TEST_SQS_ENDPOINT: emulators.sqs.endpoint,
};
let code = 1;
try {
  const stryker = spawn(process.execPath, [strykerBin, 'run', ...process.argv.slice(2)], {
    env,
    stdio: 'inherit',
  });
  const stop = () => stryker.kill('SIGINT');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  code = await new Promise((resolveExit) => stryker.once('exit', (exitCode) => resolveExit(exitCode ?? 1)));
} finally {
  await emulators.stop();
}
process.exit(code);
