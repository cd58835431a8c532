import { ConfigurationError } from '../../lambda/shared/config.ts';
import { EVENT_QUEUE } from '../../lambda/shared/resource-definitions.ts';
import { DEFAULT_MAX_BODY_BYTES, loadVerifierConfig } from '../../lambda/verifier/config.ts';

const required = {
  SIGNING_SECRET_ID: 'ofauth/signing',
  PROCESSED_EVENTS_TABLE_NAME: 'records',
  QUEUE_URL: 'http://q/events.fifo',
  DEAD_LETTER_QUEUE_URL: 'http://q/events-dlq.fifo',
};

describe('verifier configuration', () => {
  it('applies the documented defaults', () => {
    expect(loadVerifierConfig(required)).toEqual({
      signingSecretId: 'ofauth/signing',
      recordTableName: 'records',
      queueUrl: 'http://q/events.fifo',
      deadLetterQueueUrl: 'http://q/events-dlq.fifo',
      toleranceSeconds: 300,
      recordTtlSeconds: 259_200,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      secretsCacheTtlSeconds: 300,
      serviceName: 'ofauth-verifier',
      metricsNamespace: 'OFAuthWebhooks',
    });
    // the body limit leaves room for the message attributes inside the queue's message size
    expect(DEFAULT_MAX_BODY_BYTES).toBeLessThan(EVENT_QUEUE.defaultMaxMessageSizeBytes);
  });

  it('reads the optional settings', () => {
    const config = loadVerifierConfig({
      ...required,
      SIGNATURE_TOLERANCE_SECONDS: '60',
      PROCESSED_EVENT_TTL_SECONDS: '3600',
      MAX_BODY_BYTES: '1000',
      SECRETS_CACHE_TTL_SECONDS: '30',
      POWERTOOLS_SERVICE_NAME: 'webhooks-verifier',
      POWERTOOLS_METRICS_NAMESPACE: 'Webhooks',
    });
    expect(config).toMatchObject({
      toleranceSeconds: 60,
      recordTtlSeconds: 3600,
      maxBodyBytes: 1000,
      secretsCacheTtlSeconds: 30,
      serviceName: 'webhooks-verifier',
      metricsNamespace: 'Webhooks',
    });
  });

  it('fails fast when a required variable is missing or a number is malformed', () => {
    expect(() => loadVerifierConfig({ ...required, QUEUE_URL: '' })).toThrow(ConfigurationError);
    expect(() => loadVerifierConfig({ ...required, SIGNATURE_TOLERANCE_SECONDS: '5m' })).toThrow(
      /positive integer/,
    );
  });

  it('fails fast when MAX_BODY_BYTES is above what a queue message can carry with its attributes', () => {
    // GIVEN a limit one byte above SQS's largest message (1 MiB) minus the attribute allowance:
    // such a body would pass the check and then fail SendMessage, a 503 the sender retries in vain
    const env = { ...required, MAX_BODY_BYTES: String(DEFAULT_MAX_BODY_BYTES + 1) };
    // WHEN the configuration is read THEN the cold start fails, naming the variable and the bound
    expect(() => loadVerifierConfig(env)).toThrow(
      new ConfigurationError(
        `environment variable MAX_BODY_BYTES must be at most ${DEFAULT_MAX_BODY_BYTES} (a 1 MiB queue message less 8 KiB for its attributes), got "${DEFAULT_MAX_BODY_BYTES + 1}"`,
      ),
    );
    expect(loadVerifierConfig({ ...env, MAX_BODY_BYTES: String(DEFAULT_MAX_BODY_BYTES) }).maxBodyBytes).toBe(
      DEFAULT_MAX_BODY_BYTES,
    );
  });
});
