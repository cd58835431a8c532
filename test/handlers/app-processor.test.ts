/**
 * The repository's own processor (`bin/handlers/`), the worked example of a consumer
 * handler file: it uses the kit's public entry point only, overrides `connection.created` and keeps
 * every other default; and the public entry points export what the README documents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Metrics } from '@aws-lambda-powertools/metrics';
import * as root from 'ofauth-webhook-receiver';
import * as kit from 'ofauth-webhook-receiver/processor';
import { handler, handlers } from '../../bin/handlers/index.ts';
import type { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import type { RulesStore } from '../../lambda/processor/rules.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { FakeStore, testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, sqsEvent } from '../fixtures/sqs-events.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

describe('the app’s handler file', () => {
  it('overrides connection.created and keeps every other default handler', () => {
    const own = Object.entries(handlers)
      .filter(([type, fn]) => fn !== kit.defaultHandlers[type as keyof typeof kit.defaultHandlers])
      .map(([type]) => type);
    expect(own).toEqual(['connection.created']);
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(kit.defaultHandlers).sort());
  });

  it('keeps the registry on connection.created, and skips its own code for an overtaken event', async () => {
    // GIVEN the app's handlers over a registry fake that reports a newer stored event
    const connections = new FakeStore({ applied: false, reason: 'not-newer' });
    const handle = kit.createProcessorHandler({
      handlers,
      connections: connections as unknown as ConnectionRegistry,
      rules: new FakeStore() as unknown as RulesStore,
      logger: testLogger(),
      metrics: new Metrics({ namespace: 'OFAuthWebhooksTest', serviceName: 'app' }),
    });
    // WHEN a connection.created is processed
    const response = await handle(
      sqsEvent({ body: connectionEvent('connection.created', { connectionId: 'conn_app' }) }),
      lambdaContext(),
    );
    // THEN the registry was asked, the skip is logged, and the event counts as processed
    expect(response.batchItemFailures).toEqual([]);
    expect(connections.writes.map((w) => w.event.connectionId)).toEqual(['conn_app']);
    expect(output.lines().map((line) => line.message)).toEqual(
      expect.arrayContaining(['stale event ignored', 'event processed']),
    );
  });

  it('imports without the function’s environment and fails the first invocation loudly without it', async () => {
    expect(process.env.CONNECTIONS_TABLE_NAME).toBeUndefined();
    await expect(
      handler(sqsEvent({ body: connectionEvent('connection.created') }), lambdaContext()),
    ).rejects.toThrow('environment variable CONNECTIONS_TABLE_NAME is required but is not set');
  });

  it('imports only from the kit’s public entry point', () => {
    const folder = new URL('../../bin/handlers/', import.meta.url);
    const imports = readdirSync(folder).flatMap((file) =>
      [...readFileSync(new URL(file, folder), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]),
    );
    expect(new Set(imports.filter((from) => !from!.startsWith('./')))).toEqual(
      new Set(['ofauth-webhook-receiver/processor']),
    );
  });
});

describe('the public entry points', () => {
  it('export the construct, its monitoring and the stack from the root', () => {
    expect(Object.keys(root).sort()).toEqual([
      'DEFAULT_STACK_NAME',
      'EVENT_BUS_ENVIRONMENT_VARIABLE',
      'InvalidReceiverPropsError',
      'MAX_VERIFIER_TIMEOUT_SECONDS',
      'OFAuthWebhookReceiver',
      'OFAuthWebhookReceiverStack',
      'ProcessedEventsTable',
      'RECEIVER_DEFAULTS',
      'RECEIVER_LOG_LEVELS',
      'ReceiverArchive',
      'ReceiverEventBus',
      'ReceiverMonitoring',
      'STACK_OUTPUTS',
      'WEBHOOK_PATH',
      'receiverMetricsIdentity',
    ]);
  });

  it('export the handler kit from ofauth-webhook-receiver/processor', () => {
    expect(Object.keys(kit).sort()).toEqual([
      'CONNECTION_EVENT_TYPES',
      'ConnectionRegistry',
      'DISCONNECTED_STATUS',
      'EVENT_SOURCE',
      'EventBusPublisher',
      'EventDataError',
      'EventNotPublishedError',
      'PoisonEventError',
      'RulesStore',
      'TRANSLATED_EVENTS_KEY',
      'TRANSLATED_EVENT_PREFIX',
      'createProcessorHandler',
      'defaultHandlers',
      'defaultOnUnknownEvent',
      'findConnectionsByClientReferenceId',
      'getConnection',
      'getDefaultConnectionRegistry',
      'getDefaultRulesStore',
      'getLatestRules',
      'isEventOfType',
      'isKnownEventType',
      'isTranslatedEventType',
      'parseEnvelope',
      'parseEvent',
      'recordConnection',
      'skippedWriteMessage',
    ]);
  });
});
