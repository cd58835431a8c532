// Starts DynamoDB Local and fauxqs once for the whole jest run and hands their endpoints to the
// test workers through the environment. An ESM file, loaded natively, because fauxqs is ESM-only;
// Node strips the types of the TypeScript module it imports.
//
// When OFAUTH_TEST_EMULATORS is `external`, whoever started jest already runs the emulators and
// has set TEST_DYNAMODB_ENDPOINT and TEST_SQS_ENDPOINT: `npm run test:mutation` does that, so that
// the hundreds of jest runs Stryker makes share one pair of emulators instead of starting a Java
// process per mutant.
import { startEmulators } from '../../local/emulators/index.ts';

export default async function globalSetup() {
  if (process.env.OFAUTH_TEST_EMULATORS === 'external') {
    for (const name of ['TEST_DYNAMODB_ENDPOINT', 'TEST_SQS_ENDPOINT']) {
      if (!process.env[name]) throw new Error(`OFAUTH_TEST_EMULATORS is external, but ${name} is not set`);
    }
    return;
  }
  const emulators = await startEmulators();
  process.env.TEST_DYNAMODB_ENDPOINT = emulators.dynamodb.endpoint;
  process.env.TEST_SQS_ENDPOINT = emulators.sqs.endpoint;
  globalThis.__OFAUTH_EMULATORS__ = emulators;
}
