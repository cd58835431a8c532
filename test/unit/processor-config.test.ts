import { loadDeadLetterQueueUrl, loadProcessorConfig } from '../../lambda/processor/config.ts';

describe('the processor configuration', () => {
  it('reads the dead-letter queue URL, trimmed', () => {
    expect(loadDeadLetterQueueUrl({ DEAD_LETTER_QUEUE_URL: ' http://q/dlq.fifo ' })).toBe(
      'http://q/dlq.fifo',
    );
  });

  it('has no dead-letter queue when DEAD_LETTER_QUEUE_URL is unset or blank', () => {
    expect(loadDeadLetterQueueUrl({})).toBeUndefined();
    expect(loadDeadLetterQueueUrl({ DEAD_LETTER_QUEUE_URL: '  ' })).toBeUndefined();
  });

  it('fails fast without CONNECTIONS_TABLE_NAME', () => {
    expect(() => loadProcessorConfig({})).toThrow(/CONNECTIONS_TABLE_NAME is required/);
  });
});
