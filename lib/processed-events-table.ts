/**
 * The event record's table (earlier releases: the processed-events record; same logical ID): one
 * item per event key from the verifier's claim to its fate, expiring by TTL. The verifier claims
 * the key before it queues the event (`lambda/verifier/event-records.ts`); the processor skips a
 * key whose handler succeeded (`lambda/processor/processed-events.ts`).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PROCESSOR_ENVIRONMENT, VERIFIER_ENVIRONMENT } from '../lambda/shared/deployment-names.ts';
import { LEDGER_TABLE, PROCESSED_EVENTS_TABLE } from '../lambda/shared/resource-definitions.ts';
import type { ReceiverTableProps } from './receiver-props.ts';

/** Properties of {@link ProcessedEventsTable}. */
export interface ProcessedEventsTableProps {
  /**
   * How long an event key is remembered: at least the idempotency ledger's TTL, so that every
   * sender retry the ledger could let through is caught.
   *
   * @default Duration.hours(72)
   */
  readonly ttl?: Duration;
  /**
   * What happens to the table when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A customer-managed KMS key for the table (the receiver passes its `encryptionKey`; the
   * processor's role already holds the key actions it needs).
   *
   * @default - the AWS-managed key
   */
  readonly encryptionKey?: IKey;
  /**
   * Settings of the table, merged over these (the key schema and the TTL attribute stay).
   *
   * @default - on demand, point-in-time recovery, encrypted as above
   */
  readonly tableProps?: ReceiverTableProps;
}

/**
 * An on-demand, encrypted table with point-in-time recovery and a TTL attribute.
 *
 * @example
 * const processedEvents = new ProcessedEventsTable(this, 'ProcessedEvents', { ttl: Duration.hours(72) });
 * processedEvents.connectProcessor(processor);
 */
export class ProcessedEventsTable extends Construct {
  /** The table. */
  public readonly table: Table;
  /** How long an event key is remembered. */
  public readonly ttl: Duration;

  constructor(scope: Construct, id: string, props: ProcessedEventsTableProps = {}) {
    super(scope, id);
    this.ttl = props.ttl ?? Duration.seconds(LEDGER_TABLE.defaultRecordTtlSeconds);
    this.table = new Table(this, 'Table', {
      billingMode: BillingMode.PAY_PER_REQUEST,
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...props.tableProps,
      partitionKey: { name: PROCESSED_EVENTS_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: PROCESSED_EVENTS_TABLE.ttlAttribute,
    });
  }

  /**
   * Lets a verifier claim event keys: its environment names the table and the TTL (the same
   * variables as the processor's, one value for both), and its role may update items of this
   * table and put one over an expired item (nothing else: the claim reads nothing).
   */
  connectVerifier(verifier: LambdaFunction): void {
    verifier.addEnvironment(VERIFIER_ENVIRONMENT.processedEventsTableName, this.table.tableName);
    verifier.addEnvironment(VERIFIER_ENVIRONMENT.processedEventTtlSeconds, String(this.ttl.toSeconds()));
    verifier.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
  }

  /**
   * Lets a processor keep the record: its environment names the table and the TTL, and its role
   * may read and update items of this table (nothing else).
   */
  connectProcessor(processor: LambdaFunction): void {
    processor.addEnvironment(PROCESSOR_ENVIRONMENT.processedEventsTableName, this.table.tableName);
    processor.addEnvironment(PROCESSOR_ENVIRONMENT.processedEventTtlSeconds, String(this.ttl.toSeconds()));
    processor.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
  }
}
