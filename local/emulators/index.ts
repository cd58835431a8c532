/**
 * Both emulators the pipeline needs, started and stopped together.
 */
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { type SqsEmulator, startSqsEmulator } from './fauxqs.ts';

export { ensureDynamoDbLocal, startDynamoDbLocal, stopProcess } from './dynamodb-local.ts';
export { startSqsEmulator } from './fauxqs.ts';
export { freePort, waitFor } from './ports.ts';

/** DynamoDB Local and fauxqs, running. */
export interface Emulators {
  readonly dynamodb: DynamoDbLocal;
  readonly sqs: SqsEmulator;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and fauxqs side by side. If either fails, the other is stopped. */
export async function startEmulators(
  options: { dynamodbPort?: number; sqsPort?: number; root?: string } = {},
): Promise<Emulators> {
  const [dynamodb, sqs] = await Promise.allSettled([
    startDynamoDbLocal({
      ...(options.dynamodbPort !== undefined && { port: options.dynamodbPort }),
      ...(options.root !== undefined && { root: options.root }),
    }),
    startSqsEmulator({ ...(options.sqsPort !== undefined && { port: options.sqsPort }) }),
  ]);
  if (dynamodb.status === 'rejected' || sqs.status === 'rejected') {
    if (dynamodb.status === 'fulfilled') await dynamodb.value.stop();
    if (sqs.status === 'fulfilled') await sqs.value.stop();
    throw dynamodb.status === 'rejected' ? dynamodb.reason : (sqs as PromiseRejectedResult).reason;
  }
  return {
    dynamodb: dynamodb.value,
    sqs: sqs.value,
    stop: async () => {
      await Promise.all([dynamodb.value.stop(), sqs.value.stop()]);
    },
  };
}
