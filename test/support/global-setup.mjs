// Starts DynamoDB Local and fauxqs once for the whole jest run and hands their endpoints to the
// test workers through the environment. An ESM file, loaded natively, because fauxqs is ESM-only;
// Node strips the types of the TypeScript module it imports.
import { startEmulators } from '../../local/emulators/index.ts';

export default async function globalSetup() {
  const emulators = await startEmulators();
  process.env.TEST_DYNAMODB_ENDPOINT = emulators.dynamodb.endpoint;
  process.env.TEST_SQS_ENDPOINT = emulators.sqs.endpoint;
  globalThis.__OFAUTH_EMULATORS__ = emulators;
}
