/**
 * What the page's buttons do: send a signed example event (the CLI's own examples and signing),
 * replay a recorded event onto the queue, and redrive the dead-letter queue. The signing secret
 * stays in this process; the page only ever learns the answer.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  asNewEvent,
  exampleTypes,
  loadPayload,
  rewritePayload,
  SCHEMES,
  type Scheme,
  signDelivery,
} from '../../dev/deliveries.ts';
import { UsageError } from '../../dev/errors.ts';
import { MESSAGE_ATTRIBUTES, messageGroupIdFor } from '../../lambda/shared/queue-message.ts';
import type { RecordedBusEvent } from '../event-bus.ts';
import { DEFAULT_LOCAL_PORT } from '../local-port.ts';
import { describeRedrive } from '../move-messages.ts';
import type { LocalResources } from '../resources.ts';
import type { ActionResult, InspectorConfig } from './api-types.ts';
import { InspectorHttpError } from './http.ts';
import type { InspectorQueues } from './queues.ts';
import type { InspectorStore } from './store.ts';

/** What the inspector needs of a running local pipeline (a `LocalPipeline` is one). */
export interface InspectorPipeline {
  /** The webhook URL. */
  readonly url: string;
  readonly port: number;
  readonly secrets: { readonly values: readonly string[] };
  readonly endpoints: { readonly sqs: string };
  readonly resources: Pick<LocalResources, 'queueUrl' | 'deadLetterQueueUrl' | 'connectionsTableName'> &
    Partial<Pick<LocalResources, 'processedEventsTableName'>>;
  readonly clients: { readonly sqs: SQSClient; readonly dynamodb: DynamoDBClient };
  /** The recording event bus, when the processor publishes to one. */
  readonly eventBus?: {
    readonly events: readonly RecordedBusEvent[];
    subscribe(listener: () => void): void;
  };
}

/** Longest connection id the send form takes (SQS group ids stop at 128 characters). */
const MAX_CONNECTION_ID = 128;

/** The page's actions against one pipeline. */
export class InspectorActions {
  readonly #pipeline: InspectorPipeline;
  readonly #store: InspectorStore;
  readonly #queues: InspectorQueues;

  constructor(pipeline: InspectorPipeline, store: InspectorStore, queues: InspectorQueues) {
    this.#pipeline = pipeline;
    this.#store = store;
    this.#queues = queues;
  }

  /** What the page shows about the pipeline. */
  config(settings: { maxReceiveCount: number; visibilityTimeoutSeconds: number }): InspectorConfig {
    const url = this.#pipeline.port === DEFAULT_LOCAL_PORT ? '' : ` --url ${this.#pipeline.url}`;
    return {
      webhookUrl: this.#pipeline.url,
      ...settings,
      exampleTypes: exampleTypes(),
      sendCommand: `npm run cli -- send connection.created${url}`,
    };
  }

  /**
   * Signs an example event as `npm run cli -- send` does and POSTs it to the gateway, so it
   * arrives, and is recorded, like any other delivery.
   *
   * @throws {InspectorHttpError} 400 for an unknown type or scheme, or a bad connection id
   */
  async send(request: Record<string, unknown>): Promise<ActionResult> {
    const { type, scheme, connectionId, tamper } = request;
    if (typeof type !== 'string' || !exampleTypes().includes(type))
      throw new InspectorHttpError(400, 'invalid_type', `type must be one of ${exampleTypes().join(', ')}`);
    if (typeof scheme !== 'string' || !(SCHEMES as readonly string[]).includes(scheme))
      throw new InspectorHttpError(400, 'invalid_scheme', `scheme must be one of ${SCHEMES.join(', ')}`);
    if (
      connectionId !== undefined &&
      (typeof connectionId !== 'string' ||
        connectionId.trim() === '' ||
        connectionId.length > MAX_CONNECTION_ID)
    )
      throw new InspectorHttpError(
        400,
        'invalid_connection_id',
        `connectionId must be 1 to ${MAX_CONNECTION_ID} characters`,
      );
    if (tamper !== undefined && typeof tamper !== 'boolean')
      throw new InspectorHttpError(400, 'invalid_tamper', 'tamper must be true or false');
    let body: string;
    let headers: Record<string, string>;
    try {
      const payload = rewritePayload(
        loadPayload(type),
        connectionId ? { connectionId: connectionId.trim() } : {},
      );
      ({ body, headers } = signDelivery(JSON.stringify(asNewEvent(payload, new Date())), {
        scheme: scheme as Scheme,
        secret: this.#pipeline.secrets.values[0]!,
        timestamp: Math.floor(Date.now() / 1000),
        tamper: tamper === true,
      }));
    } catch (error) {
      if (error instanceof UsageError) throw new InspectorHttpError(400, 'invalid_send', error.message);
      throw error;
    }
    const response = await fetch(this.#pipeline.url, {
      method: 'POST',
      headers: { ...headers, 'user-agent': 'ofauth-inspector' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    const answer = await response.text();
    return { ok: response.ok, status: response.status, message: `${response.status} ${answer}` };
  }

  /**
   * Puts an accepted delivery's event back on the queue as a replay: the recorded body, the
   * verifier's attributes of its first message (or, before the processor has seen it, the same
   * attributes rebuilt from the delivery), the original message group.
   *
   * @throws {InspectorHttpError} 404 for an unknown delivery, 409 for one that was not accepted
   */
  async replay(deliveryId: string): Promise<ActionResult> {
    const delivery = this.#store.delivery(deliveryId);
    if (!delivery) throw new InspectorHttpError(404, 'not_found', 'no such delivery');
    const { eventKey, eventType } = delivery;
    if (!eventKey || !eventType || delivery.bodyEncoding !== 'utf8' || delivery.scheme === 'none') {
      throw new InspectorHttpError(409, 'not_replayable', 'only an accepted delivery can be replayed');
    }
    const attributes = this.#store.queueAttributes(eventKey) ?? {
      [MESSAGE_ATTRIBUTES.eventType]: eventType,
      [MESSAGE_ATTRIBUTES.eventKey]: eventKey,
      [MESSAGE_ATTRIBUTES.signatureScheme]: delivery.scheme,
      [MESSAGE_ATTRIBUTES.receivedAt]: delivery.receivedAt,
    };
    const at = new Date();
    await this.#queues.replay({
      eventKey,
      body: delivery.body,
      groupId: messageGroupIdFor({ type: eventType, connectionId: delivery.connectionId }),
      attributes,
    });
    this.#store.replayed(eventKey, at);
    return { ok: true, message: `replayed ${eventType} ${eventKey}` };
  }

  /** Redrives the dead-letter queue with the CLI's redrive, and says what it did. */
  async redrive(): Promise<ActionResult> {
    const at = new Date();
    const result = await this.#queues.redrive();
    this.#store.redriven(result.eventKeys, at);
    return { ok: true, message: describeRedrive(result) };
  }
}
