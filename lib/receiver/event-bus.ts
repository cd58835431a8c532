/**
 * The receiver's fan-out to an EventBridge bus (`eventBus` prop): the processor publishes each
 * handled event there (`lambda/processor/event-bus.ts`), with only `events:PutEvents` on that bus;
 * an alarm on `EventsNotPublished`; and a schema registry holding the JSON Schema of every known
 * event type, so that subscribers can find the events and download code bindings.
 */
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PROCESSOR_ENVIRONMENT } from '../../lambda/shared/deployment-names.ts';
import {
  PUBLISHED_EVENT_SOURCE,
  publishedEventJsonSchema,
  SCHEMA_EVENT_TYPES,
} from '../../lambda/shared/event-schemas.ts';
import { PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import { alarm } from '../monitoring/alarms.ts';
import type { ReceiverMetrics } from '../monitoring/receiver-metrics.ts';

/** The processor's environment variable naming the bus (`lambda/processor/event-bus.ts`). */
export const EVENT_BUS_ENVIRONMENT_VARIABLE = PROCESSOR_ENVIRONMENT.eventBusName;

/** Props of {@link ReceiverEventBus}. */
export interface ReceiverEventBusProps {
  /** The bus every handled event is published to. */
  readonly eventBus: IEventBus;
  /** The processor, which publishes. */
  readonly processor: IFunction & { addEnvironment(key: string, value: string): unknown };
  /** The receiver's metrics, for the alarm. */
  readonly metrics: ReceiverMetrics;
  /** The receiver's name, in the registry's description. */
  readonly receiverName: string;
}

/** The event bus connection: the processor's permission and variable, the alarm, the schemas. */
export class ReceiverEventBus extends Construct {
  /** The bus events are published to. */
  public readonly eventBus: IEventBus;
  /** Fires when handled events could not be published (each is retried, then dead-lettered). */
  public readonly notPublishedAlarm: Alarm;
  /** The schema registry holding one schema per known event type. */
  public readonly schemaRegistry: CfnRegistry;
  /** The schemas, by event type. */
  public readonly schemas: Readonly<Record<string, CfnSchema>>;

  constructor(scope: Construct, id: string, props: ReceiverEventBusProps) {
    super(scope, id);
    this.eventBus = props.eventBus;
    // The ARN, not the name: PutEvents takes either, and the ARN also names a bus of another account.
    props.processor.addEnvironment(EVENT_BUS_ENVIRONMENT_VARIABLE, props.eventBus.eventBusArn);
    props.eventBus.grantPutEventsTo(props.processor);
    this.notPublishedAlarm = alarm(
      this,
      'EventsNotPublished',
      props.metrics.metric('processor', PROCESSOR_METRICS.notPublished),
      1,
      'Handled events could not be published to the event bus (PutEvents failing or throttled after retries): they are retried, then moved to the dead-letter queue, and subscribers miss them meanwhile; read the "not published to the event bus" lines in the processor log group (docs/runbook.md "Events not published").',
    );
    this.schemaRegistry = new CfnRegistry(this, 'SchemaRegistry', {
      description: `Schemas of the ${PUBLISHED_EVENT_SOURCE} events published by the OFAuth webhook receiver ${props.receiverName}.`,
    });
    const schemas: Record<string, CfnSchema> = {};
    for (const type of SCHEMA_EVENT_TYPES) {
      const schema = new CfnSchema(this, `Schema-${type}`, {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName: `${PUBLISHED_EVENT_SOURCE}@${type}`,
        type: 'JSONSchemaDraft4',
        description: `detail of ${PUBLISHED_EVENT_SOURCE} events of detail-type ${type}`,
        content: JSON.stringify(publishedEventJsonSchema(type)),
      });
      schemas[type] = schema;
    }
    this.schemas = schemas;
  }
}
