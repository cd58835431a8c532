/**
 * The receiver's state: the signing secret, the idempotency ledger and the connections table.
 * Their construct IDs are the deployed stacks' logical IDs: changing one replaces the resource.
 */
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CONNECTIONS_TABLE, LEDGER_TABLE } from '../../lambda/shared/resource-definitions.ts';
import type { ReceiverTableProps } from '../receiver-props.ts';

/** What the storage parts need. */
export interface StorageOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly encryptionKey?: IKey;
}

/** The given secret, or a new one holding a placeholder until the operator puts the real value. */
export function buildSigningSecret(
  scope: Construct,
  existing: ISecret | undefined,
  options: StorageOptions,
): ISecret {
  if (existing) return existing;
  const secret = new Secret(scope, 'SigningSecret', {
    description:
      'OFAuth webhook signing secret(s), separated by commas or whitespace. Replace the generated placeholder with the value from the OFAuth Dashboard.',
    removalPolicy: options.removalPolicy,
    ...(options.encryptionKey && { encryptionKey: options.encryptionKey }),
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The value is issued by OFAuth and can only be rotated in the OFAuth Dashboard; rotation is the documented zero-downtime manual procedure in docs/runbook.md, which a rotation Lambda could not perform.',
  });
  return secret;
}

/** On demand, encrypted, with point-in-time recovery; the user's settings over these. */
function tableDefaults(options: StorageOptions) {
  return {
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: options.removalPolicy,
    ...(options.encryptionKey
      ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: options.encryptionKey }
      : { encryption: TableEncryption.AWS_MANAGED }),
  };
}

/** The idempotency ledger, with Powertools Idempotency's key and TTL attribute. */
export function buildLedgerTable(
  scope: Construct,
  options: StorageOptions,
  overrides?: ReceiverTableProps,
): Table {
  return new Table(scope, 'LedgerTable', {
    ...tableDefaults(options),
    ...overrides,
    partitionKey: { name: LEDGER_TABLE.partitionKey, type: AttributeType.STRING },
    timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
  });
}

/** The connection registry and latest Dynamic Rules, with the index by clientReferenceId. */
export function buildConnectionsTable(
  scope: Construct,
  options: StorageOptions,
  overrides?: ReceiverTableProps,
): Table {
  const table = new Table(scope, 'ConnectionsTable', {
    ...tableDefaults(options),
    ...overrides,
    partitionKey: { name: CONNECTIONS_TABLE.partitionKey, type: AttributeType.STRING },
  });
  const index = CONNECTIONS_TABLE.byClientReferenceIdIndex;
  table.addGlobalSecondaryIndex({
    indexName: index.name,
    partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
    sortKey: { name: index.sortKey, type: AttributeType.STRING },
    projectionType: ProjectionType.ALL,
  });
  return table;
}
