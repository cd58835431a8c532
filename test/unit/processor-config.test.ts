import {
  loadDeadLetterQueueUrl,
  loadMaxReceiveCount,
  loadProcessorConfig,
  loadRecordKeepingConfig,
} from '../../lambda/processor/config.ts';

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

  it("reads the queue's maxReceiveCount, and knows none when MAX_RECEIVE_COUNT is unset or blank", () => {
    expect(loadMaxReceiveCount({ MAX_RECEIVE_COUNT: ' 5 ' })).toBe(5);
    expect(loadMaxReceiveCount({})).toBeUndefined();
    expect(loadMaxReceiveCount({ MAX_RECEIVE_COUNT: ' ' })).toBeUndefined();
  });

  it('rejects a MAX_RECEIVE_COUNT that is not a positive integer', () => {
    for (const value of ['0', '-1', '2.5', 'five']) {
      expect(() => loadMaxReceiveCount({ MAX_RECEIVE_COUNT: value })).toThrow(
        `environment variable MAX_RECEIVE_COUNT must be a positive integer, got "${value}"`,
      );
    }
  });

  it('fails fast without CONNECTIONS_TABLE_NAME', () => {
    expect(() => loadProcessorConfig({})).toThrow(/CONNECTIONS_TABLE_NAME is required/);
  });

  it('asks for path-style S3 URLs only when ARCHIVE_S3_FORCE_PATH_STYLE is "true"', () => {
    const pathStyle = (value?: string) =>
      loadRecordKeepingConfig(value === undefined ? {} : { ARCHIVE_S3_FORCE_PATH_STYLE: value })
        .archiveS3ForcePathStyle;
    expect(pathStyle('true')).toBe(true);
    for (const value of [undefined, '', 'false', 'yes', '1']) expect(pathStyle(value)).toBe(false);
  });
});
