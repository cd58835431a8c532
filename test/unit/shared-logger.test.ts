/**
 * The functions' log lines (lambda/shared/logger.ts): lean, because ingestion is billed per byte,
 * and still searchable per delivery.
 */
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { createLogger } from '../../lambda/shared/logger.ts';

const CONTEXT = {
  functionName: 'OFAuthWebhooks-Processor-AbCdEf123456',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:OFAuthWebhooks-Processor-AbCdEf123456',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/OFAuthWebhooks-Processor-AbCdEf123456',
  logStreamName: '2026/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** The JSON lines `write` sends to stdout. */
function linesOf(write: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    write();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line));
}

describe('the functions’ log lines', () => {
  it('leave out what the log stream already names, and keep what an operator searches', () => {
    // GIVEN a logger inside an invocation
    const logger = createLogger({ serviceName: 'ofauth-processor', logLevel: 'INFO' });
    logger.addContext(CONTEXT);
    // WHEN it logs an event's line
    const [line] = linesOf(() =>
      logger.info('event processed', {
        eventKey: 'evt_1',
        connectionId: 'conn_1',
        eventType: 'connection.updated',
      }),
    );
    // THEN the function's name, ARN, memory and the sampling rate are not repeated on it
    for (const key of ['function_arn', 'function_memory_size', 'function_name', 'sampling_rate'])
      expect(line).not.toHaveProperty(key);
    // AND the delivery's trail stays: request id, service, level, time, cold start, its own keys
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'event processed',
      service: 'ofauth-processor',
      function_request_id: CONTEXT.awsRequestId,
      eventKey: 'evt_1',
      connectionId: 'conn_1',
      eventType: 'connection.updated',
    });
    expect(typeof line!.cold_start).toBe('boolean');
    expect(new Date(String(line!.timestamp)).toISOString()).toBe(line!.timestamp);
  });
});
