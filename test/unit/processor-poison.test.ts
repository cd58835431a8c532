/**
 * Which errors are poison (lambda/processor/poison.ts): a PoisonEventError and DynamoDB's
 * ValidationException, also wrapped as a cause; nothing else, so that outages keep being retried.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { PoisonEventError } from '../../lambda/processor/kit.ts';
import { poisonRejection } from '../../lambda/processor/poison.ts';

/** An error as the DynamoDB client builds it from a service answer. */
function dynamoDbError(name: string, message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({
    name,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

describe('a poison error', () => {
  it("is DynamoDB's ValidationException, with DynamoDB's message as the detail", () => {
    const error = dynamoDbError('ValidationException', 'Item size has exceeded the maximum allowed size');
    expect(poisonRejection(error, 'rules.updated')).toEqual({
      reason: 'rejected_by_dynamodb',
      message: 'Item size has exceeded the maximum allowed size',
      eventType: 'rules.updated',
    });
  });

  it("is a handler's PoisonEventError, with its reason, or rejected_by_handler without one", () => {
    expect(poisonRejection(new PoisonEventError('no tenant', { reason: 'unknown_tenant' }), 'x')).toEqual({
      reason: 'unknown_tenant',
      message: 'no tenant',
      eventType: 'x',
    });
    const error = new PoisonEventError('never');
    expect(error).toMatchObject({ name: 'PoisonEventError', reason: 'rejected_by_handler' });
    expect(poisonRejection(error, 'x')?.reason).toBe('rejected_by_handler');
  });

  it('is found as the cause of an error a handler wrapped it in', () => {
    const wrapped = new Error('saving the connection failed', {
      cause: new Error('update failed', { cause: dynamoDbError('ValidationException', 'Nesting Levels') }),
    });
    expect(poisonRejection(wrapped, 'connection.updated')?.reason).toBe('rejected_by_dynamodb');
  });

  it('fails to be found for anything that a retry may cure', () => {
    for (const error of [
      dynamoDbError('ProvisionedThroughputExceededException', 'slow down'),
      dynamoDbError('InternalServerError', 'oops'),
      Object.assign(new Error('not from DynamoDB'), { name: 'ValidationException' }),
      new Error('downstream timeout'),
      'a string',
      undefined,
    ]) {
      expect(poisonRejection(error, 'x')).toBeUndefined();
    }
  });

  it('fails to be found past five causes deep', () => {
    let error: Error = new PoisonEventError('deep');
    for (let level = 0; level < 6; level += 1) error = new Error(`level ${level}`, { cause: error });
    expect(poisonRejection(error, 'x')).toBeUndefined();
  });
});
